// Bad input gets the spec's error code and changes nothing in the store.
import { connect } from "node:net";
import { MAX_MANIFEST_BYTES, MediaType, digestOf } from "@harbor-satellite/oci";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageManifest, storedImage } from "../store/test-helpers.js";
import { call, startTestRegistry, storeSnapshot, type TestRegistry } from "./test-server.js";

/**
 * Sends raw bytes, half-closes (a client that died mid-body), and returns the status line and
 * error code of whatever the server answered ("" when it closed without answering).
 */
function raw(url: string, request: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let response = "";
    socket.on("data", (chunk) => (response += chunk.toString()));
    socket.on("error", reject);
    socket.on("close", () => {
      const code = /"code":"([A-Z_]+)"/.exec(response)?.[1];
      resolve([response.split("\r\n")[0], code].filter(Boolean).join(" "));
    });
    socket.write(request, () => socket.end());
  });
}

describe("bad input changes nothing", () => {
  let reg: TestRegistry;
  let before: Awaited<ReturnType<typeof storeSnapshot>>;
  let image: Awaited<ReturnType<typeof storedImage>>;
  beforeAll(async () => {
    reg = await startTestRegistry();
    image = await storedImage(reg.store, "base");
    await reg.store.putManifest("app", image.manifest, MediaType.OciManifest, "v1");
    before = await storeSnapshot(reg.dir);
  });
  afterAll(() => reg.stop());

  const unchanged = async () => {
    // Refused writes leave no blob, no tag and nothing in ingest/ (sessions they opened included).
    await reg.store.collectGarbage({ graceMs: 60_000 });
    expect(await storeSnapshot(reg.dir)).toEqual(before);
  };

  it("refuses a manifest over 4 MiB with 413", async () => {
    const big = Buffer.concat([
      imageManifest(image.blobs[0], [image.blobs[1]]).subarray(0, -1),
      Buffer.from(`,"annotations":{"x":"${"a".repeat(MAX_MANIFEST_BYTES)}"}}`),
    ]);
    const res = await call(reg.url, "PUT", "/v2/app/manifests/big", {
      headers: { "content-type": MediaType.OciManifest },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(res.code).toBe("SIZE_INVALID");
    await unchanged();
  });

  it("refuses invalid digests with DIGEST_INVALID", async () => {
    for (const [method, path] of [
      ["GET", "/v2/app/blobs/sha256:xyz"],
      ["GET", "/v2/app/manifests/sha256:abc"],
      ["POST", "/v2/app/blobs/uploads/?digest=sha256:short"],
      ["POST", "/v2/app/blobs/uploads/?mount=md5:abcd&from=app"],
      ["GET", "/v2/app/referrers/sha256:nope"],
    ]) {
      const res = await call(reg.url, method, path, { body: method === "POST" ? "data" : undefined });
      expect([res.status, res.code], `${method} ${path}`).toEqual([400, "DIGEST_INVALID"]);
    }
    await unchanged();
  });

  it("refuses '..' and other bad names with NAME_INVALID, on raw paths that skip URL normalising", async () => {
    for (const path of [
      "/v2/a/../b/manifests/v1",
      "/v2/../../etc/tags/list",
      "/v2/App/blobs/uploads/",
      "/v2/a%2F..%2Fb/manifests/v1",
    ]) {
      const line = await raw(
        reg.url,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      expect(line, path).toMatch(/^HTTP\/1\.1 400/);
    }
    const res = await call(reg.url, "PUT", "/v2/Bad_Name/manifests/v1", {
      headers: { "content-type": MediaType.OciManifest },
      body: image.manifest,
    });
    expect([res.status, res.code]).toEqual([400, "NAME_INVALID"]);
    await unchanged();
  });

  it("refuses a manifest pushed under a digest it does not have", async () => {
    const res = await call(reg.url, "PUT", `/v2/app/manifests/${digestOf("something else")}`, {
      headers: { "content-type": MediaType.OciManifest },
      body: image.manifest,
    });
    expect([res.status, res.code]).toEqual([400, "DIGEST_INVALID"]);
    await unchanged();
  });

  it("refuses an upload whose bytes do not match the digest, on PUT and on single POST", async () => {
    const post = await call(reg.url, "POST", "/v2/app/blobs/uploads/");
    const put = await call(reg.url, "PUT", `${post.headers.get("location")}?digest=${digestOf("expected")}`, {
      body: "actual bytes",
    });
    expect([put.status, put.code]).toEqual([400, "DIGEST_INVALID"]);
    const single = await call(reg.url, "POST", `/v2/app/blobs/uploads/?digest=${digestOf("expected")}`, {
      body: "actual bytes",
    });
    expect([single.status, single.code]).toEqual([400, "DIGEST_INVALID"]);
    expect((await call(reg.url, "GET", post.headers.get("location") as string)).status).toBe(404);
    await unchanged();
  });

  it("refuses a chunk whose Content-Length disagrees with its Content-Range", async () => {
    const post = await call(reg.url, "POST", "/v2/app/blobs/uploads/");
    const location = post.headers.get("location") as string;
    const patch = await call(reg.url, "PATCH", location, {
      headers: { "content-range": "0-9", "content-type": "application/octet-stream" },
      body: "12345",
    });
    expect([patch.status, patch.code]).toEqual([400, "SIZE_INVALID"]);
    const status = await call(reg.url, "GET", location);
    expect([status.status, status.headers.get("range")]).toEqual([204, "0-0"]);
    await call(reg.url, "DELETE", location);
    await unchanged();
  });

  it("takes back a truncated chunk (Content-Length larger than the body) and keeps the session usable", async () => {
    const post = await call(reg.url, "POST", "/v2/app/blobs/uploads/");
    const location = post.headers.get("location") as string;
    await call(reg.url, "PATCH", location, { body: "first " });
    // The client dies after 5 of the 100 bytes it announced.
    const line = await raw(reg.url, `PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf-`);
    // Node's parser answers the half-closed, short body itself (400, no JSON).
    expect(line).toMatch(/^HTTP\/1\.1 400 /);
    const status = await call(reg.url, "GET", location);
    expect(status.headers.get("range")).toBe("0-5");
    const done = await call(reg.url, "PUT", `${location}?digest=${digestOf("first chunk")}`, { body: "chunk" });
    expect(done.status).toBe(201);
    expect(await reg.store.unlinkBlob("app", digestOf("first chunk"))).toBe("unlinked");
    await reg.store.collectGarbage({ graceMs: 0 });
    expect(await storeSnapshot(reg.dir)).toEqual(before);
  });

  it("stores nothing from a truncated single-POST or PUT upload", async () => {
    const body = Buffer.alloc(1000, 1);
    const digest = digestOf(body);
    const truncated = expect.stringMatching(/^HTTP\/1\.1 400 /);
    expect(
      await raw(
        reg.url,
        Buffer.concat([
          Buffer.from(
            `POST /v2/app/blobs/uploads/?digest=${digest} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n`,
          ),
          body.subarray(0, 400),
        ]),
      ),
    ).toEqual(truncated);
    const post = await call(reg.url, "POST", "/v2/app/blobs/uploads/");
    const location = post.headers.get("location") as string;
    expect(
      await raw(
        reg.url,
        Buffer.concat([
          Buffer.from(`PUT ${location}?digest=${digest} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n`),
          body.subarray(0, 400),
        ]),
      ),
    ).toEqual(truncated);
    expect(await reg.store.statBlob(digest)).toBeUndefined();
    await call(reg.url, "DELETE", location);
    await unchanged();
  });

  it("refuses out-of-order chunks with 416 and reports where the upload is", async () => {
    const post = await call(reg.url, "POST", "/v2/app/blobs/uploads/");
    const location = post.headers.get("location") as string;
    await call(reg.url, "PATCH", location, { headers: { "content-range": "0-3" }, body: "abcd" });
    const skip = await call(reg.url, "PATCH", location, { headers: { "content-range": "10-13" }, body: "efgh" });
    expect([skip.status, skip.code]).toEqual([416, "RANGE_INVALID"]);
    const replay = await call(reg.url, "PATCH", location, { headers: { "content-range": "0-3" }, body: "abcd" });
    expect(replay.status).toBe(416);
    const status = await call(reg.url, "GET", location);
    expect([status.status, status.headers.get("range"), status.headers.get("location")]).toEqual([
      204,
      "0-3",
      location,
    ]);
    await call(reg.url, "DELETE", location);
    await unchanged();
  });

  it("refuses manifests that are not JSON, lack blobs, or contradict their Content-Type", async () => {
    const cases: [string, Buffer, string][] = [
      [MediaType.OciManifest, Buffer.from("not json"), "MANIFEST_INVALID"],
      [MediaType.DockerManifest, image.manifest, "MANIFEST_INVALID"],
      [
        MediaType.OciManifest,
        imageManifest({ mediaType: MediaType.OciConfig, digest: digestOf("x"), size: 1 }, []),
        "MANIFEST_BLOB_UNKNOWN",
      ],
    ];
    for (const [type, body, code] of cases) {
      const res = await call(reg.url, "PUT", "/v2/app/manifests/bad", { headers: { "content-type": type }, body });
      expect([res.status, res.code], code).toEqual([400, code]);
    }
    const badTag = await call(reg.url, "PUT", "/v2/app/manifests/-bad-tag", {
      headers: { "content-type": MediaType.OciManifest },
      body: image.manifest,
    });
    expect([badTag.status, badTag.code]).toEqual([400, "TAG_INVALID"]);
    await unchanged();
  });

  it("refuses a bad page size and unknown upload sessions", async () => {
    expect((await call(reg.url, "GET", "/v2/app/tags/list?n=-1")).code).toBe("PAGINATION_NUMBER_INVALID");
    const res = await call(reg.url, "PATCH", "/v2/app/blobs/uploads/not-a-session", { body: "x" });
    expect([res.status, res.code]).toEqual([404, "BLOB_UPLOAD_UNKNOWN"]);
    await unchanged();
  });
});
