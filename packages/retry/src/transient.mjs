// @ts-check
// Which HTTP failures a later attempt may get past, for registry clients in the main thread and
// in the layer-copy worker alike. Declarations for TypeScript importers: transient.d.mts.

/** Transport failures (no HTTP answer) that a new connection may get past. */
const TRANSIENT_NET_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "ERR_STREAM_PREMATURE_CLOSE",
  "HPE_INVALID_CONSTANT",
  "ERR_HTTP_REQUEST_TIMEOUT",
]);

/**
 * True for statuses a later attempt may turn into a success: 5xx and 429, no other 4xx (401 is
 * the auth layer's, 408 is final).
 * @param {number} status
 */
export function isRetryableStatus(status) {
  return status === 429 || status >= 500;
}

/**
 * True for transport failures (no HTTP answer) that a new connection may get past.
 * @param {unknown} error
 */
export function isTransientNetworkError(error) {
  if (!(error instanceof Error)) return false;
  const code = /** @type {NodeJS.ErrnoException} */ (error).code;
  if (code && TRANSIENT_NET_CODES.has(code)) return true;
  return error.message === "socket hang up" || error.name === "TimeoutError";
}
