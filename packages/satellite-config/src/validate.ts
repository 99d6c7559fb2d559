// Checks a satellite config document against SATELLITE_CONFIG_SCHEMA (compiled once) and returns
// either the typed config with every default applied or every problem, each naming its path.
// Ground Control (CreateConfig, UpdateConfig, merge patches) and the satellite (config.json,
// config-state artifacts) both call this, so they agree on every document.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parseDuration, parseSchedule } from "./schedule.js";
import { MAX_WINDOW_MS, SATELLITE_CONFIG_SCHEMA } from "./schema.js";
import { parseByteSize } from "./byte-size.js";
import { readTrustedKey, trustedKeyMessage } from "./trusted-key.js";
import type { ConfigIssue, ConfigVerdict, SatelliteConfig } from "./types.js";

/** An http(s) URL with a host and no credentials in it. */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (
      (url.protocol === "http:" || url.protocol === "https:") &&
      url.hostname !== "" &&
      url.username === "" &&
      url.password === ""
    );
  } catch {
    return false;
  }
}

/** A registry address as the original writes them: `host[:port][/path]`, with or without a scheme. */
export function isRegistryAddress(text: string): boolean {
  return isHttpUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
}

/** An IANA time zone this runtime's Intl knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(text: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: text });
    return text !== "";
  } catch {
    return false;
  }
}

/** A sync window's length: a Go duration longer than zero and at most a week. */
function isWindowDuration(text: string): boolean {
  try {
    const ms = parseDuration(text);
    return ms >= 60_000 && ms <= MAX_WINDOW_MS;
  } catch {
    return false;
  }
}

function isByteSize(text: string): boolean {
  try {
    parseByteSize(text);
    return true;
  } catch {
    return false;
  }
}

function isSchedule(text: string): boolean {
  try {
    parseSchedule(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The schema compiled on first use, not on import: compiling costs tens of milliseconds, and a
 * process that loads this package without validating a config (a one-shot `satellite sync`)
 * should not pay them at start-up.
 */
let compiled: ValidateFunction | undefined;
function compileValidator(): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true, verbose: true });
  ajv.addFormat("schedule", { type: "string", validate: isSchedule });
  ajv.addFormat("time-zone", { type: "string", validate: isTimeZone });
  ajv.addFormat("window-duration", { type: "string", validate: isWindowDuration });
  ajv.addFormat("trusted-public-key", { type: "string", validate: (v: string) => readTrustedKey(v).ok });
  ajv.addFormat("http-url", { type: "string", validate: isHttpUrl });
  ajv.addFormat("byte-size-or-empty", { type: "string", validate: (v: string) => v === "" || isByteSize(v) });
  ajv.addFormat("http-url-or-empty", { type: "string", validate: (v: string) => v === "" || isHttpUrl(v) });
  ajv.addFormat("registry-address-or-empty", {
    type: "string",
    validate: (v: string) => v === "" || isRegistryAddress(v),
  });
  return ajv.compile(SATELLITE_CONFIG_SCHEMA);
}
const validate = (document: unknown): boolean => (compiled ??= compileValidator())(document);

const MAX_SHOWN = 200;
const show = (value: unknown) =>
  JSON.stringify(typeof value === "string" ? value.slice(0, MAX_SHOWN) : value) ?? String(value);
const unescape = (part: string) => part.replace(/~1/g, "/").replace(/~0/g, "~");

/** `/app_config/registry_fallback/runtimes/0` → `app_config.registry_fallback.runtimes[0]`. */
function dotted(parts: readonly string[]): string {
  let path = "";
  for (const part of parts) path += /^\d+$/.test(part) ? `[${part}]` : path === "" ? part : `.${part}`;
  return path === "" ? "(root)" : path;
}

const partsOf = (instancePath: string) => instancePath.split("/").slice(1).map(unescape);
const child = (parts: string[], key: string) => dotted([...parts, key]);
const described = (error: ErrorObject) => (error.parentSchema as { description?: string } | undefined)?.description;

function formatMessage(format: string, value: unknown): string {
  switch (format) {
    case "schedule":
      try {
        parseSchedule(value as string);
      } catch (error) {
        return (error as Error).message;
      }
      return `${show(value)} is not a schedule`;
    case "time-zone":
      return `expected an IANA time zone such as UTC or Europe/Berlin, got ${show(value)}`;
    case "window-duration":
      return `expected a duration from 1m to 168h such as "4h" or "1h30m", got ${show(value)}`;
    case "byte-size-or-empty":
      try {
        parseByteSize(value as string);
      } catch (error) {
        return (error as Error).message;
      }
      return `${show(value)} is not a byte size`;
    case "trusted-public-key": {
      const reading = readTrustedKey(value as string);
      return trustedKeyMessage(reading.ok ? "refused" : reading.reason);
    }
    case "http-url":
    case "http-url-or-empty":
      return `expected an http:// or https:// URL without credentials, got ${show(value)}`;
    default:
      return `expected a registry address such as harbor.example.com or https://harbor.example.com, got ${show(value)}`;
  }
}

function issueOf(error: ErrorObject): ConfigIssue | undefined {
  const parts = partsOf(error.instancePath);
  const at = dotted(parts);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "if":
    case "allOf":
      return undefined; // the failing `then` reports itself
    case "additionalProperties": {
      const known = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      return {
        path: child(parts, params.additionalProperty as string),
        message: `unknown key (${at === "(root)" ? "the config" : at} takes ${known.join(", ")})`,
      };
    }
    case "required":
      return { path: child(parts, params.missingProperty as string), message: described(error) ?? "is required" };
    case "type": {
      const type = Array.isArray(params.type) ? (params.type as string[]).join(" or ") : (params.type as string);
      return {
        path: at,
        message: `expected ${type === "boolean" ? "true or false" : `a${/^[aeiou]/.test(type) ? "n" : ""} ${type}`}, got ${show(error.data)}`,
      };
    }
    case "enum":
      return {
        path: at,
        message: `expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}, got ${show(error.data)}`,
      };
    case "format":
      return { path: at, message: formatMessage(params.format as string, error.data) };
    case "minItems":
      return { path: at, message: described(error) ?? `expected at least ${params.limit as number} item(s)` };
    case "pattern":
    case "minLength":
      return {
        path: at,
        message:
          described(error) ??
          (error.keyword === "minLength" ? "must not be empty" : `does not match ${params.pattern as string}`),
      };
    case "minimum":
      return { path: at, message: `must be at least ${params.limit as number}, got ${show(error.data)}` };
    default:
      return { path: at, message: error.message ?? "is invalid" };
  }
}

/** The issues of a failed validation, one per path and message, in document order. */
function issuesOf(errors: readonly ErrorObject[]): ConfigIssue[] {
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const error of errors) {
    const issue = issueOf(error);
    if (!issue) continue;
    const key = `${issue.path}\0${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

/**
 * The verdict on a satellite config document. `document` is not modified: the defaults go into a
 * copy, which is what `config` is. A document that is not an object is one issue at `(root)`.
 */
export function validateSatelliteConfig(document: unknown): ConfigVerdict {
  if (document === null || typeof document !== "object" || Array.isArray(document))
    return { ok: false, issues: [{ path: "(root)", message: "expected a JSON object" }] };
  const copy = structuredClone(document) as Record<string, unknown>;
  if (validate(copy)) {
    if (copy.zot_config === null) delete copy.zot_config;
    return { ok: true, config: copy as unknown as SatelliteConfig };
  }
  const issues = issuesOf(compiled?.errors ?? []);
  return {
    ok: false,
    issues: issues.length > 0 ? issues : [{ path: "(root)", message: "is not a valid satellite config" }],
  };
}

/** `path: message; path: message`, as both sides print a refusal. */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join("; ");
}
