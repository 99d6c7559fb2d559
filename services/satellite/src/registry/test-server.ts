// A registry on 127.0.0.1:0 over a fresh temp store, for the registry's unit tests.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FsContentStore } from "../store/fs-content-store.js";
import { openTempStore } from "../store/test-helpers.js";
import { startRegistryServer, type RegistryServer } from "./server.js";
import type { UploadSessionLimits } from "./upload-sessions.js";
import type { WriteAccess } from "./write-access.js";
import { parseWriteCredentials } from "./write-credentials.js";

export interface TestRegistry {
  url: string;
  store: FsContentStore;
  dir: string;
  server: RegistryServer;
  /** index.json text, to assert a refused request changed nothing. */
  indexJson(): Promise<string>;
  stop(): Promise<void>;
}

export interface TestRegistryOptions {
  readOnly?: boolean;
  /** Credentials file text: writes then need Basic credentials. */
  writeCredentials?: string;
  /** Credentials file text: every request then needs Basic credentials. */
  readCredentials?: string;
  /** Serve HTTPS with this PEM pair. */
  tls?: { cert: Buffer; key: Buffer };
  uploads?: UploadSessionLimits;
}

export async function startTestRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const { store, dir, cleanup } = await openTempStore();
  const writeAccess: WriteAccess | undefined =
    options.writeCredentials === undefined
      ? undefined
      : { mode: "credentials", credentials: parseWriteCredentials(options.writeCredentials) };
  const server = await startRegistryServer({
    store,
    host: "127.0.0.1",
    port: 0,
    readOnly: options.readOnly,
    writeAccess,
    uploads: options.uploads,
    tls: options.tls,
    readCredentials: options.readCredentials === undefined ? undefined : parseWriteCredentials(options.readCredentials),
  });
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

/** What a refused request must leave untouched: index.json, every blob file, an empty ingest/. */
export async function storeSnapshot(dir: string): Promise<{ index: string; blobs: string[]; ingest: string[] }> {
  const blobs: string[] = [];
  for (const alg of ["sha256", "sha512"])
    for (const name of await readdir(join(dir, "blobs", alg))) blobs.push(`${alg}:${name}`);
  return {
    index: await readFile(join(dir, "index.json"), "utf8"),
    blobs: blobs.sort(),
    ingest: await readdir(join(dir, "ingest")),
  };
}

/** A request with an optional body; returns status, headers and the body text. */
export async function call(
  url: string,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<{ status: number; headers: Headers; text: string; code?: string }> {
  const res = await fetch(`${url}${path}`, { method, headers: init.headers, body: init.body });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { errors?: { code: string }[] }).errors?.[0]?.code;
  } catch {
    code = undefined;
  }
  return { status: res.status, headers: res.headers, text, code };
}
