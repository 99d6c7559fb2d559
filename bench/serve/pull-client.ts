// One load process of bench/serve/site-pull.ts: N concurrent image pulls from one registry, each
// as one machine of a site would pull: its own keep-alive connection pool (3 sockets, dockerd's
// and containerd's default of 3 concurrent layer downloads), the manifest by tag, then the
// config and every layer read to the end through sha256 and checked against its digest.
// Protocol with the parent: prints "ready" once started, waits for "go" on stdin, then prints one
// JSON line {pulls: [{start, end, bytes}]} (epoch milliseconds, comparable across processes).
// Run by site-pull.ts: node --import tsx bench/serve/pull-client.ts <registry-url> <repo> <tag> <pulls>
import { createHash } from "node:crypto";
import http from "node:http";
import { createInterface } from "node:readline";

const [baseUrl, repository, tag, pullsArg] = process.argv.slice(2);
const pulls = Number(pullsArg);
const LAYER_CONCURRENCY = 3;
const MANIFEST_ACCEPT =
  "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

interface Descriptor {
  digest: string;
  size: number;
}

interface PullResult {
  start: number;
  end: number;
  bytes: number;
}

const now = () => performance.timeOrigin + performance.now();

/** GET `path` and stream the body through sha256; fails on a status, size or digest mismatch. */
function fetchVerified(agent: http.Agent, path: string, expected: Descriptor | null, accept?: string) {
  return new Promise<{ body: Buffer | null; bytes: number }>((resolve, reject) => {
    const req = http.get(new URL(path, baseUrl), { agent, headers: accept ? { accept } : {} }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${path}: HTTP ${res.statusCode}`));
        return;
      }
      const hash = createHash("sha256");
      const keep: Buffer[] | null = expected ? null : [];
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
        keep?.push(chunk);
      });
      res.on("error", reject);
      res.on("end", () => {
        const digest = `sha256:${hash.digest("hex")}`;
        const want = expected?.digest ?? res.headers["docker-content-digest"];
        if (digest !== want) return reject(new Error(`GET ${path}: digest ${digest}, expected ${String(want)}`));
        if (expected && bytes !== expected.size)
          return reject(new Error(`GET ${path}: ${bytes} bytes, expected ${expected.size}`));
        resolve({ body: keep ? Buffer.concat(keep) : null, bytes });
      });
    });
    req.on("error", reject);
  });
}

async function pullOnce(): Promise<PullResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: LAYER_CONCURRENCY });
  const start = now();
  try {
    const manifest = await fetchVerified(agent, `/v2/${repository}/manifests/${tag}`, null, MANIFEST_ACCEPT);
    const parsed = JSON.parse(manifest.body!.toString()) as { config: Descriptor; layers: Descriptor[] };
    const queue = [parsed.config, ...parsed.layers];
    let bytes = manifest.bytes;
    const worker = async () => {
      for (let blob = queue.shift(); blob; blob = queue.shift()) {
        // Awaited first: `bytes += await …` would read `bytes` before the wait and lose the
        // other workers' additions.
        const fetched = await fetchVerified(agent, `/v2/${repository}/blobs/${blob.digest}`, blob);
        bytes += fetched.bytes;
      }
    };
    await Promise.all(Array.from({ length: LAYER_CONCURRENCY }, worker));
    return { start, end: now(), bytes };
  } finally {
    agent.destroy();
  }
}

process.stdout.write("ready\n");
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() !== "go") continue;
  const results = await Promise.all(Array.from({ length: pulls }, pullOnce));
  process.stdout.write(`${JSON.stringify({ pulls: results })}\n`);
  break;
}
lines.close();
