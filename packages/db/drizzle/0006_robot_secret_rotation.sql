ALTER TABLE "robot_accounts" ADD COLUMN "previous_secret_hash" text;--> statement-breakpoint
ALTER TABLE "robot_accounts" ADD COLUMN "pending_rotation" text;--> statement-breakpoint
ALTER TABLE "robot_accounts" ADD COLUMN "secret_issued_at" timestamp with time zone DEFAULT now() NOT NULL;