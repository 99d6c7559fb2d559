// A registry on 127.0.0.1:0 over a fresh temp store, for the registry's unit tests.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FsContentStore } from "../store/fs-content-store.js";
import { openTempStore } from "../store/test-helpers.js";
import { startRegistryServer, type RegistryServer } from "./server.js";

export interface TestRegistry {
  url: string;
  store: FsContentStore;
  dir: string;
  server: RegistryServer;
  /** index.json text, to assert a refused request changed nothing. */
  indexJson(): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestRegistry(options: { readOnly?: boolean } = {}): Promise<TestRegistry> {
  const { store, dir, cleanup } = await openTempStore();
  const server = await startRegistryServer({ store, host: "127.0.0.1", port: 0, readOnly: options.readOnly });
  return {
    url: server.url,
    store,
    dir,
    server,
    indexJson: () => readFile(join(dir, "index.json"), "utf8"),
    stop: async () => {
      await server.close();
      await cleanup();
    },
  };
}
