// Types of the plain-JS worker module for TypeScript importers (tests).
import type { FetchBlobOutcome, FetchBlobTask } from "./worker-protocol.js";

export default function fetchBlob(task: FetchBlobTask): Promise<FetchBlobOutcome>;
