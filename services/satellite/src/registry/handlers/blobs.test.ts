import { randomBytes } from "node:crypto";
import { MediaType, digestOf } from "@harbor-satellite/oci";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storedImage } from "../../store/test-helpers.js";
import { call, startTestRegistry, type TestRegistry } from "../test-server.js";

describe("blobs", () => {
  let reg: TestRegistry;
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const digest = digestOf(data);
  beforeAll(async () => {
    reg = await startTestRegistry();
    const w = await reg.store.createBlobWriter();
    await w.write(data);
    await w.commit({ digest });
    await reg.store.linkBlob("app", digest);
  });
  afterAll(() => reg.stop());

  const get = (path: string, headers: Record<string, string> = {}, method = "GET") =>
    fetch(`${reg.url}${path}`, { method, headers });

  it("streams a whole blob with its digest and length", async () => {
    const res = await get(`/v2/app/blobs/${digest}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("docker-content-digest")).toBe(digest);
    expect(res.headers.get("content-length")).toBe(String(data.length));
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    const head = await get(`/v2/app/blobs/${digest}`, {}, "HEAD");
    expect([head.status, head.headers.get("content-length"), head.headers.get("accept-ranges")]).toEqual([
      200,
      String(data.length),
      "bytes",
    ]);
  });

  it("serves byte ranges with 206 in all three forms, and 416 past the end", async () => {
    const cases: [string, number, number][] = [
      ["bytes=0-99", 0, 99],
      ["bytes=1000-", 1000, data.length - 1],
      ["bytes=-10", data.length - 10, data.length - 1],
      [`bytes=${data.length - 5}-${data.length + 100}`, data.length - 5, data.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await get(`/v2/app/blobs/${digest}`, { range });
      expect(res.status, range).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/${data.length}`);
      expect(Buffer.from(await res.arrayBuffer()).equals(data.subarray(start, end + 1)), range).toBe(true);
    }
    const past = await get(`/v2/app/blobs/${digest}`, { range: `bytes=${data.length}-` });
    expect([past.status, past.headers.get("content-range")]).toEqual([416, `bytes */${data.length}`]);
    const several = await get(`/v2/app/blobs/${digest}`, { range: "bytes=0-1,5-6" });
    expect(several.status).toBe(200);
    await several.arrayBuffer();
  });

  it("serves a blob only from repositories that hold it", async () => {
    expect((await call(reg.url, "GET", `/v2/other/blobs/${digest}`)).code).toBe("BLOB_UNKNOWN");
    expect((await call(reg.url, "GET", `/v2/app/blobs/${digestOf("absent")}`)).code).toBe("BLOB_UNKNOWN");
  });

  it("serves the empty blob", async () => {
    const w = await reg.store.createBlobWriter();
    await w.commit({ digest: digestOf("") });
    await reg.store.linkBlob("app", digestOf(""));
    const res = await get(`/v2/app/blobs/${digestOf("")}`);
    expect([res.status, res.headers.get("content-length"), (await res.arrayBuffer()).byteLength]).toEqual([
      200,
      "0",
      0,
    ]);
  });

  it("deletes a loose blob (202, then 404) but not one a manifest in the repository needs", async () => {
    const image = await storedImage(reg.store, "needed");
    await reg.store.putManifest("held", image.manifest, MediaType.OciManifest, "v1");
    const refused = await call(reg.url, "DELETE", `/v2/held/blobs/${image.blobs[1].digest}`);
    expect([refused.status, refused.code]).toEqual([405, "UNSUPPORTED"]);
    await reg.store.linkBlob("loose", image.blobs[1].digest);
    expect((await call(reg.url, "DELETE", `/v2/loose/blobs/${image.blobs[1].digest}`)).status).toBe(202);
    expect((await call(reg.url, "GET", `/v2/loose/blobs/${image.blobs[1].digest}`)).status).toBe(404);
    expect((await call(reg.url, "GET", `/v2/held/blobs/${image.blobs[1].digest}`)).status).toBe(200);
    expect((await call(reg.url, "DELETE", `/v2/loose/blobs/${image.blobs[1].digest}`)).code).toBe("BLOB_UNKNOWN");
  });

  it("survives a client that leaves mid-blob", async () => {
    const controller = new AbortController();
    const res = await fetch(`${reg.url}/v2/app/blobs/${digest}`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const again = await get(`/v2/app/blobs/${digest}`);
    expect(Buffer.from(await again.arrayBuffer()).equals(data)).toBe(true);
  });
});
