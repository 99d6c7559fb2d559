// Types derived from SATELLITE_CONFIG_SCHEMA, so the schema is the only place a key is declared:
// `SatelliteConfigDocument` is a document as written (every key optional), `SatelliteConfig` the
// same after validation with the defaults applied (a key with a `default` is always present).
import type { SATELLITE_CONFIG_SCHEMA } from "./schema.js";

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type Scalar<S> = S extends { enum: readonly (infer E)[] }
  ? E
  : S extends { const: infer C }
    ? C
    : S extends { type: "string" }
      ? string
      : S extends { type: "boolean" }
        ? boolean
        : S extends { type: "integer" | "number" }
          ? number
          : never;

/** A value as written in a document. */
export type DocumentOf<S> = S extends { type: "array"; items: infer I }
  ? DocumentOf<I>[]
  : S extends { type: "object"; properties: infer P }
    ? Simplify<{ -readonly [K in keyof P]?: DocumentOf<P[K]> }>
    : S extends { type: readonly ["object", "null"] }
      ? Record<string, unknown> | null
      : Scalar<S>;

type WithDefault<P> = { [K in keyof P]: P[K] extends { default: unknown } ? K : never }[keyof P];

/** A value after validation: keys with a default are present; a null object (zot_config) is dropped. */
export type ValueOf<S> = S extends { type: "array"; items: infer I }
  ? ValueOf<I>[]
  : S extends { type: "object"; properties: infer P }
    ? Simplify<
        { -readonly [K in WithDefault<P>]: ValueOf<P[K]> } & {
          -readonly [K in Exclude<keyof P, WithDefault<P>>]?: ValueOf<P[K]>;
        }
      >
    : S extends { type: readonly ["object", "null"] }
      ? Record<string, unknown>
      : Scalar<S>;

type Schema = typeof SATELLITE_CONFIG_SCHEMA;

export type SatelliteConfigDocument = DocumentOf<Schema>;
export type SatelliteConfig = ValueOf<Schema>;
export type StateConfig = SatelliteConfig["state_config"];
export type AppConfig = SatelliteConfig["app_config"];
export type LocalRegistryConfig = AppConfig["local_registry"];
export type AuditConfig = NonNullable<AppConfig["audit"]>;
export type SyncPolicyConfig = AppConfig["sync_policy"];
export type SyncWindowConfig = SyncPolicyConfig["windows"][number];
/** A level as the config names it (zerolog's, and pino's `silent`). */
export type ConfigLogLevel = AppConfig["log_level"];

/** One reason a document was refused. */
export interface ConfigIssue {
  /** Where: `app_config.tls.key_file`, `app_config.registry_fallback.runtimes[0]`, or `(root)`. */
  path: string;
  message: string;
}

export type ConfigVerdict = { ok: true; config: SatelliteConfig } | { ok: false; issues: ConfigIssue[] };
