ALTER TABLE "configs" ADD COLUMN "state_digest" text;--> statement-breakpoint
ALTER TABLE "groups" ADD COLUMN "state_digest" text;