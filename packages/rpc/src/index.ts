// Public surface of @harbor-satellite/rpc.
export { callerKey, callerOf } from "./caller.js";
export type { Caller } from "./caller.js";
export { clientAddressKey, clientAddressOf } from "./client-address.js";
export { PUBLIC_URL_HEADER, publicUrlKey, publicUrlOf, originOf, satelliteStateUrl } from "./public-url.js";
export {
  DomainError,
  InvalidArgumentError,
  NotFoundError,
  AlreadyExistsError,
  FailedPreconditionError,
  UnauthenticatedError,
  PermissionDeniedError,
  UnavailableError,
  toConnectError,
  errorMappingInterceptor,
} from "./errors.js";
export { NAME_PATTERN, MAX_NAME_LENGTH, isValidName, requireName } from "./names.js";
export { renamedField } from "./renamed-fields.js";
export { pageWindow, nextPageToken, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./paging.js";
export type { PageWindow } from "./paging.js";
export { keysetToken, keysetWindow } from "./keyset.js";
export type { KeysetWindow } from "./keyset.js";
export type { BinaryDecoder, ServiceModule } from "./service-module.js";
export { hashSecret, verifySecret } from "./secret-hash.js";
export type { SecretHashParams } from "./secret-hash.js";
export { MAX_JSON_DEPTH, nestsDeeperThan, parseJsonObject, requireJsonDepth } from "./json.js";
