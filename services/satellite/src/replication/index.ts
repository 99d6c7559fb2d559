// Public surface of the replication engine (used by `satellite sync` and the agent's scheduler).
export { createReplicationEngine } from "./replication-engine.js";
export type {
  ReplicationEngine,
  ReplicationEngineOptions,
  ReplicationRequest,
  ReplicationSummary,
  ImageResult,
  UpstreamOptions,
} from "./replication-engine.js";
export { parseDesiredImage, imageName, InvalidImageError } from "./desired-image.js";
export type { DesiredImage, OwnedImage } from "./desired-image.js";
export { parsePlatform, formatPlatform } from "./platform.js";
export type { PlatformFilter } from "./platform.js";
export { readOwnedImages, writeOwnedImages, OWNED_IMAGES_FILE } from "./owned-images.js";
export { ImageReplicationError, PlatformNotFoundError } from "./replication-error.js";
