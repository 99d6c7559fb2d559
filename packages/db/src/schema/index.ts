// All tables; drizzle-kit reads this file to generate migrations.
export * from "./configs.js";
export * from "./groups.js";
export * from "./satellites.js";
export * from "./robots.js";
export * from "./outbox.js";
export * from "./heartbeats.js";
export * from "./auth.js";
export * from "./state-artifacts.js";
