// Types of the plain-JS module for TypeScript importers (tests).
import type { FileHandle } from "node:fs/promises";
import type { FlowControl } from "./raw-http-get.mjs";

export interface FileSink {
  write(chunk: Buffer, flow: FlowControl): void;
  /** Resolves once no socket is held paused by a write in flight. */
  ready(): Promise<void>;
  finish(): Promise<void>;
  settle(): Promise<void>;
}
export declare function createFileSink(file: FileHandle, syncEvery: number): FileSink;
