CREATE TABLE "configs" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"config" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "configs_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "groups" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"artifacts" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "groups_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "satellite_groups" (
	"satellite_id" integer NOT NULL,
	"group_id" integer NOT NULL,
	CONSTRAINT "satellite_groups_satellite_id_group_id_pk" PRIMARY KEY("satellite_id","group_id")
);
--> statement-breakpoint
CREATE TABLE "satellites" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"region" text DEFAULT 'default' NOT NULL,
	"selectors" text[] DEFAULT '{}' NOT NULL,
	"config_id" integer NOT NULL,
	"last_seen" timestamp with time zone,
	"heartbeat_interval_seconds" integer,
	"latest_heartbeat_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "satellites_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "robot_accounts" (
	"id" serial PRIMARY KEY NOT NULL,
	"satellite_id" integer NOT NULL,
	"robot_name" text NOT NULL,
	"harbor_id" bigint NOT NULL,
	"secret_hash" text NOT NULL,
	"projects" text[] NOT NULL,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "robot_accounts_satellite_id_unique" UNIQUE("satellite_id"),
	CONSTRAINT "robot_accounts_robot_name_unique" UNIQUE("robot_name"),
	CONSTRAINT "robot_accounts_harbor_id_unique" UNIQUE("harbor_id")
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outbox_kind_subject_uq" UNIQUE("kind","subject")
);
--> statement-breakpoint
CREATE TABLE "heartbeats" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"satellite_id" integer NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reported_at" timestamp with time zone,
	"activity" text DEFAULT '' NOT NULL,
	"state_report_interval" text DEFAULT '' NOT NULL,
	"state_digest" text DEFAULT '' NOT NULL,
	"config_digest" text DEFAULT '' NOT NULL,
	"cpu_percent" double precision DEFAULT 0 NOT NULL,
	"memory_used_bytes" bigint DEFAULT 0 NOT NULL,
	"storage_used_bytes" bigint DEFAULT 0 NOT NULL,
	"last_sync_duration_ms" bigint DEFAULT 0 NOT NULL,
	"image_count" integer DEFAULT 0 NOT NULL,
	"cached_images" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" serial PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"user_id" integer NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sessions_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text NOT NULL,
	"failed_logins" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_username_unique" UNIQUE("username")
);
--> statement-breakpoint
CREATE TABLE "ztr_tokens" (
	"id" serial PRIMARY KEY NOT NULL,
	"satellite_id" integer NOT NULL,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"consumed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ztr_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "satellite_groups" ADD CONSTRAINT "satellite_groups_satellite_id_satellites_id_fk" FOREIGN KEY ("satellite_id") REFERENCES "public"."satellites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "satellite_groups" ADD CONSTRAINT "satellite_groups_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "satellites" ADD CONSTRAINT "satellites_config_id_configs_id_fk" FOREIGN KEY ("config_id") REFERENCES "public"."configs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "robot_accounts" ADD CONSTRAINT "robot_accounts_satellite_id_satellites_id_fk" FOREIGN KEY ("satellite_id") REFERENCES "public"."satellites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "heartbeats" ADD CONSTRAINT "heartbeats_satellite_id_satellites_id_fk" FOREIGN KEY ("satellite_id") REFERENCES "public"."satellites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ztr_tokens" ADD CONSTRAINT "ztr_tokens_satellite_id_satellites_id_fk" FOREIGN KEY ("satellite_id") REFERENCES "public"."satellites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "satellite_groups_group_idx" ON "satellite_groups" USING btree ("group_id");--> statement-breakpoint
CREATE INDEX "satellites_region_idx" ON "satellites" USING btree ("region");--> statement-breakpoint
CREATE INDEX "satellites_config_idx" ON "satellites" USING btree ("config_id");--> statement-breakpoint
CREATE INDEX "heartbeats_satellite_received_idx" ON "heartbeats" USING btree ("satellite_id","received_at");--> statement-breakpoint
CREATE INDEX "heartbeats_received_idx" ON "heartbeats" USING btree ("received_at");