// Harbor answers every failure with `{"errors":[{"code":"NOT_FOUND","message":"..."}]}` (the
// swagger's `Errors` definition). HarborError carries that first error with the HTTP status and
// the operation that failed, so callers branch on `status`/`code` instead of parsing text.

/** Codes Harbor's API sends (lib/errors/const.go), plus go-swagger's binding failures. */
export type HarborErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "PRECONDITION"
  | "UNPROCESSABLE_ENTITY"
  | "UNKNOWN"
  | (string & {});

/** Status 0 with this code: the request never got an HTTP answer (connection refused, reset, aborted). */
export const NETWORK_ERROR_CODE = "NETWORK_ERROR";

export class HarborError extends Error {
  override readonly name = "HarborError";

  /**
   * @param operation Harbor's operationId, e.g. `CreateRobot`.
   * @param status HTTP status, or 0 when no answer came (see `cause`).
   * @param code Harbor's error code; when the body is not Harbor's error shape, derived from the status.
   * @param rawMessage Harbor's message, unprefixed.
   */
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly code: HarborErrorCode,
    readonly rawMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`[${operation} ${status} ${code}] ${rawMessage}`, options);
  }

  /** Builds the error from a non-2xx answer; `body` is what openapi-fetch parsed (JSON, text or undefined). */
  static fromResponse(operation: string, status: number, body: unknown): HarborError {
    const first = firstHarborError(body);
    return new HarborError(
      operation,
      status,
      first?.code ?? codeForStatus(status),
      first?.message ?? (typeof body === "string" && body.trim() !== "" ? body.trim() : `HTTP ${status}`),
    );
  }

  /** Wraps anything thrown by fetch itself. */
  static fromNetwork(operation: string, cause: unknown): HarborError {
    const message = cause instanceof Error ? cause.message : String(cause);
    return new HarborError(operation, 0, NETWORK_ERROR_CODE, message, { cause });
  }
}

function firstHarborError(body: unknown): { code: string; message: string } | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const first = errors[0] as { code?: unknown; message?: unknown };
  if (typeof first?.code !== "string") return undefined;
  return { code: first.code, message: typeof first.message === "string" ? first.message : "" };
}

/** Harbor's own mapping (lib/http/error.go) read backwards, for bodies that are not Harbor's. */
function codeForStatus(status: number): HarborErrorCode {
  switch (status) {
    case 400:
      return "BAD_REQUEST";
    case 401:
      return "UNAUTHORIZED";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "CONFLICT";
    case 412:
      return "PRECONDITION";
    case 422:
      return "UNPROCESSABLE_ENTITY";
    default:
      return "UNKNOWN";
  }
}
