// Public surface of @harbor-satellite/spiffe. Typical use:
//   const source = await createX509Source({ socket: "unix:///tmp/spire-agent/public/api.sock" });
//   const server = http2.createSecureServer(createServerTlsOptions(source));
//   keepServerTlsCurrent(server, source);                         // rotation without restart
//   const id = verifyTlsPeer(socket, source, { authorizer: authorizePathPrefix(td, "/satellite/") });
//   const client = https.request(url, { ...createClientTlsOptions(source, authorizeID(gcId)) });
export { SpiffeId, TrustDomain, isSpiffeId, MAX_SPIFFE_ID_BYTES, MAX_TRUST_DOMAIN_BYTES } from "./spiffe-id.js";
export {
  satelliteSpiffeId,
  groundControlSpiffeId,
  parseSatelliteId,
  DEFAULT_REGION,
  DEFAULT_SATELLITE_NAME,
  SATELLITE_PATH_PREFIX,
} from "./satellite-id.js";
export type { SatelliteIdentity } from "./satellite-id.js";
export {
  authorizeAny,
  authorizeID,
  authorizeOneOf,
  authorizeMemberOf,
  authorizePathPrefix,
  authorizeAll,
} from "./authorizer.js";
export type { Authorizer } from "./authorizer.js";
export { verifyPeerCertificate, verifyPeerChain } from "./verify.js";
export {
  createServerTlsOptions,
  createClientTlsOptions,
  keepServerTlsCurrent,
  verifyTlsPeer,
  verifyTlsPeerChain,
  requireVerifiedClients,
  peerCertificateChain,
  svidTlsMaterial,
} from "./tls.js";
export type { ServerTlsOptions, SvidTlsMaterial, TlsPeerSocket } from "./tls.js";
export type { VerifyPeerOptions, VerifiedPeer } from "./verify.js";
export { X509Bundle, X509BundleSet } from "./x509-bundle.js";
export type { X509BundleSource } from "./x509-bundle.js";
export { parseX509Svid, validateX509Svid, x509SvidToPem, x509SvidExpiresAt } from "./x509-svid.js";
export type { X509Svid } from "./x509-svid.js";
export { createX509Source, createStaticX509Source } from "./x509-source.js";
export type {
  X509Source,
  MutableX509Source,
  CreateX509SourceOptions,
  SvidPicker,
  X509SourceEvents,
} from "./x509-source.js";
export { WorkloadApiClient, createWorkloadApiClient, WORKLOAD_API_HEADER } from "./workload-client.js";
export type { WorkloadApiClientOptions, WorkloadWatcher } from "./workload-client.js";
export {
  resolveWorkloadEndpoint,
  workloadEndpointTarget,
  SPIFFE_ENDPOINT_SOCKET_ENV,
  DEFAULT_SPIRE_AGENT_SOCKET,
} from "./workload-address.js";
export {
  SpireServerClient,
  createSpireServerClient,
  SPIRE_SERVER_SOCKET_ENV,
  DEFAULT_SPIRE_SERVER_SOCKET,
} from "./spire-server-client.js";
export type {
  SpireServerClientOptions,
  ListEntriesFilter,
  ListAgentsFilter,
  SelectorMatchMode,
  CreateEntryResult,
  DeleteEntryResult,
  JoinToken,
  SpireBundle,
} from "./spire-server-client.js";
export { parseSelector, joinTokenAgentId } from "./spire-types.js";
export type { EntrySpec, SpireEntry, SpireAgent, SpireSelector } from "./spire-types.js";
export { parseX509SvidResponse, parseX509BundlesResponse } from "./x509-context.js";
export type { X509Context } from "./x509-context.js";
export type { BackoffOptions } from "@harbor-satellite/retry";
export {
  splitDerCertificates,
  parseDerCertificates,
  concatDer,
  certificatesToPem,
  parsePkcs8Der,
  privateKeyToPem,
  privateKeyToPkcs8Der,
} from "./der.js";
// Symbols below are plumbing shared with the test fakes: grpc-js over protobuf-es descriptors.
export {
  addGrpcService,
  grpcServiceDefinition,
  grpcMethodDefinition,
  callUnary,
  callServerStream,
} from "./grpc-bridge.js";
export type {
  GrpcServiceImplementation,
  GrpcUnaryHandler,
  GrpcServerStreamingHandler,
  TypedMethod,
  UnaryCallOptions,
} from "./grpc-bridge.js";
export {
  SpiffeIdError,
  SvidVerificationError,
  InvalidSvidError,
  WorkloadApiError,
  EndpointAddressError,
  X509SourceError,
  SpireServerError,
} from "./errors.js";
export type { SpiffeIdErrorReason, SvidVerificationReason } from "./errors.js";
