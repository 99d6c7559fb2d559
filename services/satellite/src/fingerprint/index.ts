// Device fingerprint and the sealed (AES-256-GCM, scrypt-derived key) envelope for config at rest.
export {
  deviceFingerprint,
  readDeviceIdentity,
  fingerprintOf,
  NoFingerprintSourceError,
  DEFAULT_SOURCES,
} from "./device-fingerprint.js";
export type { FingerprintSources, DeviceIdentity } from "./device-fingerprint.js";
export {
  seal,
  unseal,
  looksSealed,
  DEFAULT_SCRYPT,
  SealedConfigError,
  FingerprintMismatchError,
  SealedConfigTamperedError,
  SealedConfigUnsupportedError,
} from "./sealed-box.js";
export type { SealedEnvelope, ScryptParams } from "./sealed-box.js";
export { writeSealedFile, readSealedFile } from "./sealed-file.js";
