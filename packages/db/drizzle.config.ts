// drizzle-kit: `npx drizzle-kit generate --config packages/db/drizzle.config.ts --name <change>`
// writes reviewed SQL migrations into packages/db/drizzle/, applied at start by src/migrate.ts.
import type { Config } from "drizzle-kit";

export default {
  dialect: "postgresql",
  schema: "./packages/db/src/schema/index.ts",
  out: "./packages/db/drizzle",
  casing: undefined,
} satisfies Config;
