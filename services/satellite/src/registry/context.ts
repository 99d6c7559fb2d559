// What a handler receives: the request and response, the route's parameters (already
// validated), the query, and the registry's dependencies.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { StoredManifest } from "../store/content-store.js";
import type { ServingStore } from "../store/serving-store.js";
import type { UploadSessions } from "./upload-sessions.js";

export interface RegistryDeps {
  store: ServingStore;
  uploads: UploadSessions;
  logger: Logger;
  /** A manifest was served by GET (by tag or digest): the agent's pull log (store quota's LRU). */
  onManifestPulled?: (repository: string, digest: string) => void;
  /** Decides whether a found manifest may be served (the signature policy); throws an OciError when not. */
  manifestGate?: ManifestGate;
}

export type ManifestGate = (repository: string, reference: string, manifest: StoredManifest) => Promise<void>;

export interface RouteParams {
  /** Repository name (validated against the spec grammar). */
  name: string;
  /** Tag or digest of a manifest route; digest of a blob or referrers route; upload id. */
  reference: string;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: RouteParams;
  /** The raw query string without `?`, parsed on demand by `query()`. */
  query: () => URLSearchParams;
  deps: RegistryDeps;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;
