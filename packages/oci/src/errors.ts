// The distribution-spec error codes, kept in one table as data (as distribution's errcode
// registry does). HTTP statuses follow CNCF distribution, so our registry answers what clients
// already expect from docker-registry.

export const OciErrorTable = {
  BLOB_UNKNOWN: { status: 404, message: "blob unknown to registry" },
  BLOB_UPLOAD_INVALID: { status: 400, message: "blob upload invalid" },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: "blob upload unknown to registry" },
  DIGEST_INVALID: { status: 400, message: "provided digest did not match uploaded content" },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: "manifest references a manifest or blob unknown to registry" },
  MANIFEST_INVALID: { status: 400, message: "manifest invalid" },
  MANIFEST_UNKNOWN: { status: 404, message: "manifest unknown to registry" },
  NAME_INVALID: { status: 400, message: "invalid repository name" },
  NAME_UNKNOWN: { status: 404, message: "repository name not known to registry" },
  SIZE_INVALID: { status: 400, message: "provided length did not match content length" },
  UNAUTHORIZED: { status: 401, message: "authentication required" },
  DENIED: { status: 403, message: "requested access to the resource is denied" },
  UNSUPPORTED: { status: 405, message: "the operation is unsupported" },
  TOOMANYREQUESTS: { status: 429, message: "too many requests" },
  // Not in the spec's table but answered by distribution, so clients know them.
  TAG_INVALID: { status: 400, message: "manifest tag did not match URI" },
  RANGE_INVALID: { status: 416, message: "invalid content range" },
  PAGINATION_NUMBER_INVALID: { status: 400, message: "invalid number of results requested" },
  UNAVAILABLE: { status: 503, message: "service unavailable" },
} as const;

export type OciErrorCode = keyof typeof OciErrorTable;

/** An error to answer on `/v2/`; the one place that turns it into a response is the registry edge. */
export class OciError extends Error {
  readonly status: number;

  constructor(
    readonly code: OciErrorCode,
    message?: string,
    readonly detail?: unknown,
  ) {
    super(message ?? OciErrorTable[code].message);
    this.name = "OciError";
    this.status = OciErrorTable[code].status;
  }

  /** The spec's error body: `{"errors":[{code,message,detail}]}`. */
  toBody(): { errors: { code: string; message: string; detail?: unknown }[] } {
    return {
      errors: [
        { code: this.code, message: this.message, ...(this.detail === undefined ? {} : { detail: this.detail }) },
      ],
    };
  }
}

/** Reads the first error of a distribution-spec error body, if it is one. */
export function parseOciErrorBody(text: string): { code: string; message: string } | undefined {
  try {
    const body = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = body.errors?.[0];
    if (first && typeof first.code === "string") {
      return { code: first.code, message: typeof first.message === "string" ? first.message : "" };
    }
  } catch {
    // not JSON: the caller reports the status alone
  }
  return undefined;
}
