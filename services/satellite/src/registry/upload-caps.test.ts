// The upload-session caps under real concurrency, over the loopback network: many POSTs at once
// never open more sessions than the cap, and one client address holding its share does not
// stop another from pushing.
import { request } from "node:http";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { MediaType, digestOf } from "@harbor-satellite/oci";
import { afterEach, describe, expect, it } from "vitest";
import { imageManifest } from "../store/test-helpers.js";
import { startTestRegistry, type TestRegistry } from "./test-server.js";

const USER = "pusher";
const PASSWORD = "push-secret";
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;

/** One request on its own connection from `localAddress`; status and error code. */
function send(
  url: string,
  method: string,
  path: string,
  options: { localAddress?: string; body?: Buffer | string; headers?: Record<string, string> } = {},
): Promise<{ status: number; code?: string; location?: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method,
        path,
        localAddress: options.localAddress,
        agent: false,
        headers: { authorization: AUTH, connection: "close", ...options.headers },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            code: /"code":"([A-Z_]+)"/.exec(text)?.[1],
            location: res.headers.location,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("upload session caps over HTTP", () => {
  let reg: TestRegistry | undefined;
  afterEach(async () => {
    await reg?.stop();
    reg = undefined;
  });

  it("2,000 concurrent POSTs from 40 addresses never open more sessions than the cap", async () => {
    reg = await startTestRegistry({
      writeCredentials: `${USER}:${PASSWORD}\n`,
      uploads: { maxSessions: 256, maxSessionsPerSource: 16 },
    });
    const url = reg.url;
    const results = await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        send(url, "POST", `/v2/flood/blobs/uploads/`, { localAddress: `127.0.1.${(i % 40) + 1}` }),
      ),
    );
    const opened = results.filter((r) => r.status === 202).length;
    const refused = results.filter((r) => r.status === 429 && r.code === "TOOMANYREQUESTS").length;
    expect(opened + refused).toBe(2000);
    // 40 addresses × 16 could take 640 slots; the total cap holds at 256, exactly.
    expect(opened).toBe(256);
    expect(reg.server.uploads.peak).toBe(256);
    expect(reg.server.uploads.size).toBe(256);
    expect(await readdir(join(reg.dir, "ingest"))).toHaveLength(256);
  });

  it("one address holding its per-source maximum does not stop a push from another address", async () => {
    reg = await startTestRegistry({
      writeCredentials: `${USER}:${PASSWORD}\n`,
      uploads: { maxSessions: 100, maxSessionsPerSource: 8 },
    });
    const url = reg.url;
    const hog = await Promise.all(
      Array.from({ length: 20 }, () => send(url, "POST", "/v2/hog/blobs/uploads/", { localAddress: "127.0.0.2" })),
    );
    expect(hog.filter((r) => r.status === 202)).toHaveLength(8);
    expect(hog.filter((r) => r.status === 429)).toHaveLength(12);
    expect(reg.server.uploads.heldBy("127.0.0.2")).toBe(8);

    // A whole push from 127.0.0.1 still goes through: config, layer, manifest.
    const blobs = [Buffer.from(JSON.stringify({ os: "linux", architecture: "amd64" })), Buffer.from("a layer")];
    for (const blob of blobs) {
      const start = await send(url, "POST", "/v2/fair/blobs/uploads/", { localAddress: "127.0.0.1" });
      expect(start.status).toBe(202);
      const put = await send(url, "PUT", `${start.location}?digest=${digestOf(blob)}`, {
        localAddress: "127.0.0.1",
        body: blob,
        headers: { "content-type": "application/octet-stream" },
      });
      expect(put.status).toBe(201);
    }
    const manifest = imageManifest(
      { mediaType: MediaType.OciConfig, digest: digestOf(blobs[0]), size: blobs[0].length },
      [{ mediaType: MediaType.OciLayer, digest: digestOf(blobs[1]), size: blobs[1].length }],
    );
    const pushed = await send(url, "PUT", "/v2/fair/manifests/v1", {
      localAddress: "127.0.0.1",
      body: manifest,
      headers: { "content-type": MediaType.OciManifest },
    });
    expect(pushed.status).toBe(201);
    expect((await reg.store.getManifest("fair", "v1"))?.digest).toBe(digestOf(manifest));
  });
});
