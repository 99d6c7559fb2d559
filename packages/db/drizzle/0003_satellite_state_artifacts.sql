CREATE TABLE "satellite_state_artifacts" (
	"satellite" text PRIMARY KEY NOT NULL,
	"manifest_digest" text NOT NULL,
	"manifest" "bytea" NOT NULL,
	"media_type" text NOT NULL,
	"config_digest" text NOT NULL,
	"config" "bytea" NOT NULL,
	"layer_digest" text NOT NULL,
	"layer" "bytea" NOT NULL,
	"timestamp_tag" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
