// Fuzzes the registry over raw HTTP/1.1 sockets, read-only and in write mode with credentials,
// for a bounded time each (FUZZ_MS, default 3 s: a few thousand requests per mode; set it higher
// for a longer run). Seeded: the seed is printed first, and a failure prints it with the failing
// request; FUZZ_SEED=<seed> replays the same inputs.
// Invariants: every request gets a valid answer or a clean close within the bound, never a 5xx;
// no write from a client that may not write; read-only fuzzing leaves the store byte-for-byte
// unchanged, write-mode fuzzing leaves one that verifies; the server is still up afterwards and
// a normal push and pull (digest-checked) work.
import { request } from "node:http";
import { Writable } from "node:stream";
import { MediaType, digestOf } from "@harbor-satellite/oci";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { FsContentStore } from "../../store/fs-content-store.js";
import { openTempStore, storedImage } from "../../store/test-helpers.js";
import { verifyStore } from "../../store/verify.js";
import { startRegistryServer, type RegistryServer } from "../server.js";
import { storeSnapshot } from "../test-server.js";
import { parseWriteCredentials } from "../write-credentials.js";
import { exchange } from "./exchange.js";
import { violation, type FuzzMode } from "./invariants.js";
import { createRng, fuzzSeed } from "@harbor-satellite/testkit/rng";
import { generateRequest, type FuzzTarget } from "./requests.js";

const SEED = fuzzSeed();
const RUN_MS = Number(process.env.FUZZ_MS ?? 3_000);
const BOUND_MS = 8_000;
const PASSWORD = "fuzz-push-secret";
const AUTH = `Basic ${Buffer.from(`pusher:${PASSWORD}`).toString("base64")}`;
process.stdout.write(`registry fuzz seed=${SEED} (replay with FUZZ_SEED=${SEED})\n`);

interface Setup {
  /** Error-level log lines of the server: a 500 the client never saw (it had gone) still shows here. */
  errors: string[];
  store: FsContentStore;
  dir: string;
  server: RegistryServer;
  target: FuzzTarget;
  cleanup(): Promise<void>;
}

async function setup(mode: FuzzMode): Promise<Setup> {
  const { store, dir, cleanup } = await openTempStore();
  const errors: string[] = [];
  const logger = pino(
    { level: "error" },
    new Writable({ write: (chunk: Buffer, _e, done) => (errors.push(chunk.toString()), done()) }),
  );
  const image = await storedImage(store, "fuzz");
  await store.putManifest("fuzz/app", image.manifest, MediaType.OciManifest, "v1");
  const server = await startRegistryServer({
    store,
    logger,
    host: "127.0.0.1",
    port: 0,
    // Short timeouts, so a request the server would wait on ends well inside the bound.
    limits: { headersMs: 2_000, idleMs: 3_000, keepAliveMs: 1_000 },
    ...(mode === "read-only"
      ? { readOnly: true }
      : { writeAccess: { mode: "credentials" as const, credentials: parseWriteCredentials(`pusher:${PASSWORD}\n`) } }),
  });
  const target: FuzzTarget = {
    repository: "fuzz/app",
    tag: "v1",
    manifestDigest: image.digest,
    blobs: image.blobs.map((b) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size })),
    authorization: mode === "write" ? AUTH : undefined,
    sessions: [],
  };
  return { errors, store, dir, server, target, cleanup: async () => (await server.close(), await cleanup()) };
}

/** Sends requests for RUN_MS; throws with the seed and the failing input at the first violation. */
async function fuzz(mode: FuzzMode, s: Setup): Promise<Map<number, number>> {
  const rng = createRng(SEED ^ (mode === "read-only" ? 0x5a5a5a5a : 0x3c3c3c3c));
  const statuses = new Map<number, number>();
  const deadline = Date.now() + RUN_MS;
  for (let i = 0; Date.now() < deadline; i++) {
    const request = generateRequest(rng, s.target);
    const ex = await exchange(s.server.port, request, BOUND_MS);
    const problem =
      violation(mode, request, ex) ?? (s.errors.length > 0 ? `the server logged an error: ${s.errors[0]}` : undefined);
    if (problem) {
      const shown =
        request.bytes.length > 3000
          ? `${request.bytes.subarray(0, 3000).toString("latin1")}… (${request.bytes.length} bytes)`
          : request.bytes.toString("latin1");
      throw new Error(
        `fuzz (${mode}) seed=${SEED} request #${i}: ${problem}\nrequest: ${JSON.stringify(shown)}\nresponse: ${JSON.stringify(ex.received.subarray(0, 600).toString("latin1"))}`,
      );
    }
    const status = ex.response?.status ?? 0;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const location = ex.response?.headers.get("location");
    if (ex.response?.status === 202 && location?.includes("/blobs/uploads/"))
      s.target.sessions = [...s.target.sessions.slice(-19), location];
  }
  return statuses;
}

const summary = (statuses: Map<number, number>) =>
  [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status || "closed"}×${n}`)
    .join(" ");

/**
 * A request as a normal client sends it, from 127.0.0.2: the fuzzer (127.0.0.1) may hold its
 * whole share of upload sessions, which must not stop another address.
 */
function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, method, path, headers, localAddress: "127.0.0.2", agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function pull(url: string, repository: string, reference: string): Promise<{ digest: string; blobs: string[] }> {
  const res = await send(url, "GET", `/v2/${repository}/manifests/${reference}`, { accept: MediaType.OciManifest });
  expect(res.status).toBe(200);
  expect(digestOf(res.body)).toBe(res.headers["docker-content-digest"]);
  const manifest = JSON.parse(res.body.toString()) as { config: { digest: string }; layers: { digest: string }[] };
  const blobs = [manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
  for (const digest of blobs) {
    const blob = await send(url, "GET", `/v2/${repository}/blobs/${digest}`);
    expect(blob.status).toBe(200);
    expect(digestOf(blob.body)).toBe(digest);
  }
  return { digest: digestOf(res.body), blobs };
}

describe(`registry fuzz (seed ${SEED})`, () => {
  it(
    "read-only mode: every request answered or closed, never a 5xx, the store unchanged, pulls still work",
    async () => {
      const s = await setup("read-only");
      try {
        const before = await storeSnapshot(s.dir);
        const statuses = await fuzz("read-only", s);
        process.stdout.write(`registry fuzz read-only: ${summary(statuses)}\n`);
        expect((await fetch(`${s.server.url}/v2/`)).status).toBe(200);
        expect(await storeSnapshot(s.dir)).toEqual(before);
        expect((await pull(s.server.url, "fuzz/app", "v1")).digest).toBe(s.target.manifestDigest);
      } finally {
        await s.cleanup();
      }
    },
    RUN_MS + 50_000,
  );

  it(
    "write mode with credentials: every request answered or closed, never a 5xx, the store verifies, push and pull still work",
    async () => {
      const s = await setup("write");
      try {
        const statuses = await fuzz("write", s);
        process.stdout.write(`registry fuzz write: ${summary(statuses)}\n`);
        expect((await send(s.server.url, "GET", "/v2/")).status).toBe(200);
        const report = await verifyStore(s.dir);
        expect({ corrupt: report.corrupt, missing: report.missing, errors: report.errors }).toEqual({
          corrupt: [],
          missing: [],
          errors: [],
        });

        // A normal push with credentials, then a digest-checked pull of it.
        const auth = { authorization: AUTH };
        const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", after: "fuzz" }));
        const layer = Buffer.from("layer pushed after the fuzz");
        for (const blob of [config, layer]) {
          const started = await send(s.server.url, "POST", "/v2/after/fuzz/blobs/uploads/", auth);
          expect(started.status).toBe(202);
          const put = await send(
            s.server.url,
            "PUT",
            `${started.headers.location as string}?digest=${digestOf(blob)}`,
            { ...auth, "content-type": "application/octet-stream" },
            blob,
          );
          expect(put.status).toBe(201);
        }
        const manifest = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: MediaType.OciManifest,
            config: { mediaType: MediaType.OciConfig, digest: digestOf(config), size: config.length },
            layers: [{ mediaType: MediaType.OciLayer, digest: digestOf(layer), size: layer.length }],
          }),
        );
        expect(
          (
            await send(
              s.server.url,
              "PUT",
              "/v2/after/fuzz/manifests/1",
              { ...auth, "content-type": MediaType.OciManifest },
              manifest,
            )
          ).status,
        ).toBe(201);
        expect(await pull(s.server.url, "after/fuzz", "1")).toEqual({
          digest: digestOf(manifest),
          blobs: [digestOf(config), digestOf(layer)],
        });
      } finally {
        await s.cleanup();
      }
    },
    RUN_MS + 50_000,
  );
});
