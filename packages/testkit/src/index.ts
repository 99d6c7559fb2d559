// Public surface of @harbor-satellite/testkit. Emulators and starters also import by subpath,
// e.g. `@harbor-satellite/testkit/docker-registry`.
export { freePort } from "./free-port.js";
export { startPostgres, postgresAvailable, POSTGRES_BIN } from "./postgres.js";
export type { PostgresServer } from "./postgres.js";
export {
  buildImage,
  buildIndex,
  makeBlobDir,
  removeBlobDir,
  writeRandomLayer,
  pushBlob,
  pushManifest,
  pushImage,
  pushIndex,
  writeOciLayout,
} from "./images.js";
export type { BlobFile, ImageFormat, ImageSpec, SyntheticImage, SyntheticIndex, PushAuth } from "./images.js";
export { startDockerRegistry, dockerRegistryAvailable } from "./docker-registry.js";
export type { DockerRegistry } from "./docker-registry.js";
export { startHarborEmulator } from "./harbor-emulator/index.js";
export type { HarborEmulator, HarborEmulatorOptions } from "./harbor-emulator/index.js";
export {
  craneStateImage,
  paxPathRecord,
  pushStateImage,
  stateDocuments,
  stateImage,
  tarOf,
} from "./state-artifacts.js";
export type { StateArtifactImage, StateLayout } from "./state-artifacts.js";
export { tarHeader, type TarHeaderOptions } from "./tar.js";
export {
  generateSigningKey,
  makeCosignSignature,
  pushCosignSignature,
  signatureTag,
  signPayload,
  simpleSigningPayload,
} from "./cosign-signer.js";
export type { CosignSignature, CosignSignatureSpec, SigningKey, SigningKeyKind } from "./cosign-signer.js";
export { createRng, fuzzSeed, type Rng } from "./rng.js";
