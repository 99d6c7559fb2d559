// kill -9 of `satellite serve` while clients upload (monolithic, chunked, single POST) and push
// manifests and tags, at a random moment, over and over on the same data dir. After every kill:
// `satellite serve --verify` (the CLI) re-hashes the whole store and must find it clean, and
// after the restart every write the registry had acknowledged (201) must still be there. A paused
// layer copy's kept partial file (ingest/partial-<alg>-<hex>) planted first must come through every
// restart byte for byte, while every other leftover in ingest/ is removed.
import { execFile } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { MediaType, digestOf } from "@harbor-satellite/oci";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SATELLITE_BIN, startServeProcess, type ServeProcess } from "../commands/serve-process.js";
import { partialFileName } from "./partial-blobs.js";

const TRIALS = 24;
const WRITERS = 6;
const run = promisify(execFile);

interface Acked {
  blobs: Map<string, string>; // digest → repository it was pushed to
  tags: Map<string, string>; // repository:tag → manifest digest
}

async function upload(url: string, repo: string, data: Buffer, mode: number): Promise<void> {
  const digest = digestOf(data);
  if (mode === 0) {
    const res = await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: "POST", body: data });
    if (res.status !== 201) throw new Error(`single POST ${res.status}`);
    return;
  }
  const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  let location = new URL(start.headers.get("location") ?? "", url);
  if (mode === 2) {
    const half = data.length >> 1;
    const patch = await fetch(location, {
      method: "PATCH",
      headers: { "content-range": `0-${half - 1}` },
      body: data.subarray(0, half),
    });
    location = new URL(patch.headers.get("location") ?? "", url);
    data = data.subarray(half);
  }
  location.searchParams.set("digest", digest);
  const put = await fetch(location, { method: "PUT", body: data });
  if (put.status !== 201) throw new Error(`PUT ${put.status}`);
}

/** One client: uploads a config and a layer, pushes a manifest and tags it; records acks. */
async function writer(url: string, id: number, acked: Acked, stop: AbortSignal): Promise<void> {
  for (let n = 0; !stop.aborted; n++) {
    const repo = `crash/w${id}`;
    try {
      const config = Buffer.from(
        JSON.stringify({ os: "linux", architecture: "amd64", n, id, r: randomBytes(8).toString("hex") }),
      );
      const layer = randomBytes(randomInt(1, 1 << 20));
      for (const [i, blob] of [config, layer].entries()) {
        await upload(url, repo, blob, (n + i) % 3);
        acked.blobs.set(digestOf(blob), repo);
      }
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.OciManifest,
          config: { mediaType: MediaType.OciConfig, digest: digestOf(config), size: config.length },
          layers: [{ mediaType: MediaType.OciLayer, digest: digestOf(layer), size: layer.length }],
        }),
      );
      const tag = `t${n % 4}`;
      const put = await fetch(`${url}/v2/${repo}/manifests/${tag}`, {
        method: "PUT",
        headers: { "content-type": MediaType.OciManifest },
        body: manifest,
      });
      if (put.status === 201) acked.tags.set(`${repo}:${tag}`, digestOf(manifest));
    } catch {
      return; // the server was killed under us
    }
  }
}

describe("kill -9 during uploads", () => {
  let dataDir: string;
  let server: ServeProcess | undefined;
  beforeAll(async () => (dataDir = await mkdtemp(join(tmpdir(), "hs-crash-"))));
  afterAll(async () => {
    await server?.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  // Each trial starts a process, loads it, kills it and re-hashes the store: minutes, not seconds.
  it(
    `leaves a store that verifies and keeps every acknowledged write, ${TRIALS} trials`,
    { timeout: 600_000 },
    async () => {
      const acked: Acked = { blobs: new Map(), tags: new Map() };
      let verified = 0;
      let leftovers = 0;
      const ingest = join(dataDir, "ingest");
      const paused = randomBytes(300_000);
      const partialName = partialFileName(digestOf(paused));
      const kept = paused.subarray(0, 123_456);
      await mkdir(ingest, { recursive: true });
      await writeFile(join(ingest, partialName), kept);
      for (let trial = 0; trial < TRIALS; trial++) {
        server = await startServeProcess({ dataDir });
        // Recovery kept the paused copy's bytes as they were.
        expect((await readFile(join(ingest, partialName))).equals(kept), `trial ${trial}`).toBe(true);
        // What was acknowledged before every earlier kill is served after the restart.
        for (const [ref, digest] of acked.tags) {
          const [repo, tag] = ref.split(":");
          const res = await fetch(`${server.url}/v2/${repo}/manifests/${tag}`, { method: "HEAD" });
          // A later push may have moved the tag before its own ack; an acked tag is never lost.
          expect(res.status, ref).toBe(200);
          if (res.headers.get("docker-content-digest") !== digest) acked.tags.delete(ref);
        }
        const stored = new Set(await readdir(join(dataDir, "blobs", "sha256")));
        for (const digest of acked.blobs.keys()) expect(stored.has(digest.slice(7)), digest).toBe(true);
        const stop = new AbortController();
        const writers = Array.from({ length: WRITERS }, (_, id) => writer(server!.url, id, acked, stop.signal));
        await new Promise((resolve) => setTimeout(resolve, randomInt(20, 600)));
        await server.kill();
        stop.abort();
        await Promise.all(writers);
        leftovers += (await readdir(ingest)).filter((name) => name !== partialName).length;
        const { stdout } = await run(process.execPath, [
          SATELLITE_BIN,
          "serve",
          "--data-dir",
          dataDir,
          "--verify",
        ]).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
        expect(stdout, `trial ${trial}`).toMatch(/ ok=true\n$/);
        verified++;
      }
      server = await startServeProcess({ dataDir });
      expect(await readdir(ingest)).toEqual([partialName]);
      expect((await readFile(join(ingest, partialName))).equals(kept)).toBe(true);
      await server.stop();
      server = undefined;
      console.log(
        `kill -9 trials: ${verified}/${TRIALS} verified clean; acknowledged and kept: ${acked.blobs.size} blobs, ${acked.tags.size} tags; ${leftovers} ingest leftovers removed at restarts; the kept partial file intact through every restart`,
      );
      expect(verified).toBe(TRIALS);
      expect(acked.tags.size).toBeGreaterThan(0);
    },
  );
});
