// @harbor-satellite/satellite: the edge process. Entry point is src/cli/main.ts.
export { main } from "./cli/main.js";
export type { ContentStore, BlobWriter, TempFile, BlobInfo, StoredManifest, ByteRange } from "./store/content-store.js";
