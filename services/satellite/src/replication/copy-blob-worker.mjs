// Entry of a replication worker thread. Loader hooks registered in the main thread do not reach
// worker threads on Node 20, so the worker registers tsx itself before importing the TypeScript
// task module.
import { register } from "tsx/esm/api";

register();
const { runCopyBlobTask } = await import("./copy-blob-task.ts");

export default runCopyBlobTask;
