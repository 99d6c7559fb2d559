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
export { verifyPeerCertificate } from "./verify.js";
export type { VerifyPeerOptions } from "./verify.js";
export { X509Bundle, X509BundleSet } from "./x509-bundle.js";
export type { X509BundleSource } from "./x509-bundle.js";
export { parseX509Svid, validateX509Svid, x509SvidToPem, x509SvidExpiresAt } from "./x509-svid.js";
export type { X509Svid } from "./x509-svid.js";
export {
  splitDerCertificates,
  parseDerCertificates,
  concatDer,
  certificatesToPem,
  parsePkcs8Der,
  privateKeyToPem,
  privateKeyToPkcs8Der,
} from "./der.js";
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
