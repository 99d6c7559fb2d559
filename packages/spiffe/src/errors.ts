// The package's typed errors. Each carries a closed `reason` so callers branch on data, not on
// message text; messages stay human-readable because they end up in logs and rpc error details.

/** Why a string is not a valid SPIFFE ID or trust domain (SPIFFE-ID.md §2). */
export type SpiffeIdErrorReason =
  | "empty"
  | "too-long"
  | "wrong-scheme"
  | "missing-trust-domain"
  | "bad-trust-domain-char"
  | "trust-domain-too-long"
  | "userinfo-or-port"
  | "query-or-fragment"
  | "percent-encoded"
  | "empty-segment"
  | "dot-segment"
  | "trailing-slash"
  | "bad-path-char"
  | "unexpected-path"
  | "not-a-satellite";

export class SpiffeIdError extends Error {
  override readonly name = "SpiffeIdError";
  constructor(
    readonly reason: SpiffeIdErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** Why a peer's X509-SVID was rejected (X509-SVID.md §5 plus authorization). */
export type SvidVerificationReason =
  | "no-certificate"
  | "malformed-certificate"
  | "no-uri-san"
  | "multiple-uri-sans"
  | "invalid-spiffe-id"
  | "root-path"
  | "leaf-is-ca"
  | "leaf-key-usage"
  | "untrusted-trust-domain"
  | "expired"
  | "not-yet-valid"
  | "untrusted-chain"
  /** The TLS stack's own chain verification (against every bundle's CAs) failed. */
  | "tls-unverified"
  | "unauthorized";

export class SvidVerificationError extends Error {
  override readonly name = "SvidVerificationError";
  constructor(
    readonly reason: SvidVerificationReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An SVID or bundle from the Workload API that breaks the X509-SVID rules. */
export class InvalidSvidError extends Error {
  override readonly name = "InvalidSvidError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A Workload API failure; `code` is the gRPC status code (see @grpc/grpc-js `status`). */
export class WorkloadApiError extends Error {
  override readonly name = "WorkloadApiError";
  constructor(
    readonly code: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A malformed SPIFFE_ENDPOINT_SOCKET-style address (SPIFFE_Workload_Endpoint.md §4). */
export class EndpointAddressError extends Error {
  override readonly name = "EndpointAddressError";
}

/** The X509 source was closed or never became ready in time. */
export class X509SourceError extends Error {
  override readonly name = "X509SourceError";
  constructor(
    readonly reason: "closed" | "timeout" | "failed",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A SPIRE Server API failure. `code` is a gRPC / google.rpc code: either the rpc's status or,
 * for batch rpcs, the failing item's `Status.code` (then `item` is its index).
 */
export class SpireServerError extends Error {
  override readonly name = "SpireServerError";
  constructor(
    readonly code: number,
    message: string,
    readonly item?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
