import { MediaType, digestOf } from "@harbor-satellite/oci";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storedImage } from "../store/test-helpers.js";
import { call, startTestRegistry, storeSnapshot, type TestRegistry } from "./test-server.js";

describe("read-only mode", () => {
  let reg: TestRegistry;
  let image: Awaited<ReturnType<typeof storedImage>>;
  beforeAll(async () => {
    reg = await startTestRegistry({ readOnly: true });
    image = await storedImage(reg.store, "ro");
    await reg.store.putManifest("app", image.manifest, MediaType.OciManifest, "v1");
  });
  afterAll(() => reg.stop());

  it("serves pulls", async () => {
    expect((await call(reg.url, "GET", "/v2/app/manifests/v1")).status).toBe(200);
    expect((await call(reg.url, "GET", `/v2/app/blobs/${image.blobs[1].digest}`)).status).toBe(200);
    expect((await call(reg.url, "GET", "/v2/app/tags/list")).status).toBe(200);
  });

  it("refuses every write with 405 UNSUPPORTED and Allow: GET, HEAD, changing nothing", async () => {
    const before = await storeSnapshot(reg.dir);
    const writes: [string, string][] = [
      ["POST", "/v2/app/blobs/uploads/"],
      ["POST", `/v2/app/blobs/uploads/?digest=${digestOf("x")}`],
      ["PATCH", "/v2/app/blobs/uploads/some-id"],
      ["PUT", "/v2/app/manifests/v2"],
      ["DELETE", "/v2/app/manifests/v1"],
      ["DELETE", `/v2/app/blobs/${image.blobs[1].digest}`],
    ];
    for (const [method, path] of writes) {
      const res = await call(reg.url, method, path, { body: method === "DELETE" ? undefined : "x" });
      expect([res.status, res.code, res.headers.get("allow")], `${method} ${path}`).toEqual([
        405,
        "UNSUPPORTED",
        "GET, HEAD",
      ]);
    }
    expect(await storeSnapshot(reg.dir)).toEqual(before);
  });
});
