// What a log line needs to say about a registry failure that is the network's or the registry's
// doing (refused, cut, 404 MANIFEST_UNKNOWN, a TLS server spoken to in plain HTTP, content that
// does not match its digest): the message, and the status or code to filter on. Such failures
// are expected in the field; their stacks help nobody and flood the logs. Anything else is a bug
// and is logged with its stack.
import { DigestMismatchError, SizeMismatchError } from "../verify-stream.js";
import { ManifestInvalidError } from "../manifest.js";
import { ContentDigestError, RegistryError, RegistryNetworkError } from "./registry-error.js";

export interface FailureFields {
  reason: string;
  status?: number;
  code?: string;
}

/** What OpenSSL reports when the other end speaks plain HTTP. */
const TLS_TO_PLAIN_HTTP = new Set(["EPROTO", "ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_PACKET_LENGTH_TOO_LONG"]);

const EXPECTED = [
  RegistryError,
  RegistryNetworkError,
  ContentDigestError,
  DigestMismatchError,
  SizeMismatchError,
  ManifestInvalidError,
];

/** Log fields for an expected registry failure; undefined for anything else. */
export function registryFailureFields(error: unknown): FailureFields | undefined {
  if (!EXPECTED.some((kind) => error instanceof kind)) return undefined;
  const fields: FailureFields = { reason: (error as Error).message };
  if (error instanceof RegistryError) {
    fields.status = error.status;
    if (error.code) fields.code = error.code;
  }
  if (error instanceof RegistryNetworkError) {
    const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code) fields.code = code;
    if (code && TLS_TO_PLAIN_HTTP.has(code))
      fields.reason +=
        " (TLS was answered in plain HTTP: use an http:// URL for this registry, or the --use-unsecure flag where the URL has no scheme)";
  }
  return fields;
}
