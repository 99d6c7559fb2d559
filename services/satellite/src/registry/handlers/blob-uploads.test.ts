import { randomBytes } from "node:crypto";
import { digestOf } from "@harbor-satellite/oci";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestRegistry, type TestRegistry } from "../test-server.js";

describe("blob uploads", () => {
  let reg: TestRegistry;
  beforeAll(async () => (reg = await startTestRegistry()));
  afterAll(() => reg.stop());

  const start = async (repo: string, query = "") => {
    const res = await call(reg.url, "POST", `/v2/${repo}/blobs/uploads/${query}`);
    expect(res.status).toBe(202);
    expect(res.headers.get("range")).toBe("0-0");
    expect(res.headers.get("docker-upload-uuid")).toMatch(/^[0-9a-f-]{36}$/);
    return res.headers.get("location") as string;
  };
  const pull = async (repo: string, digest: string) =>
    Buffer.from(await (await fetch(`${reg.url}/v2/${repo}/blobs/${digest}`)).arrayBuffer());

  it("uploads with POST then PUT", async () => {
    const data = randomBytes(100_000);
    const location = await start("push");
    const res = await call(reg.url, "PUT", `${location}?digest=${digestOf(data)}`, {
      headers: { "content-type": "application/octet-stream" },
      body: data,
    });
    expect([res.status, res.headers.get("location"), res.headers.get("docker-content-digest")]).toEqual([
      201,
      `/v2/push/blobs/${digestOf(data)}`,
      digestOf(data),
    ]);
    expect((await pull("push", digestOf(data))).equals(data)).toBe(true);
    expect((await call(reg.url, "GET", location)).code).toBe("BLOB_UPLOAD_UNKNOWN");
  });

  it("uploads with a single POST, and falls back to a session when the POST has no body", async () => {
    const data = Buffer.from("single post");
    const res = await call(reg.url, "POST", `/v2/single/blobs/uploads/?digest=${digestOf(data)}`, { body: data });
    expect([res.status, res.headers.get("location")]).toEqual([201, `/v2/single/blobs/${digestOf(data)}`]);
    const empty = await call(reg.url, "POST", `/v2/single/blobs/uploads/?digest=${digestOf("later")}`);
    expect(empty.status).toBe(202);
    expect(
      (await call(reg.url, "PUT", `${empty.headers.get("location")}?digest=${digestOf("later")}`, { body: "later" }))
        .status,
    ).toBe(201);
  });

  it("uploads in chunks, reporting the range after each, with the last chunk in the PUT", async () => {
    const data = randomBytes(250_000);
    const location = await start("chunks");
    const cuts = [0, 100_000, 200_000];
    for (let i = 0; i < 2; i++) {
      const chunk = data.subarray(cuts[i], cuts[i + 1]);
      const res = await call(reg.url, "PATCH", location, {
        headers: {
          "content-type": "application/octet-stream",
          "content-range": `${cuts[i]}-${cuts[i + 1] - 1}`,
          "content-length": String(chunk.length),
        },
        body: chunk,
      });
      expect([res.status, res.headers.get("range"), res.headers.get("location")]).toEqual([
        202,
        `0-${cuts[i + 1] - 1}`,
        location,
      ]);
    }
    const last = data.subarray(200_000);
    const done = await call(reg.url, "PUT", `${location}?digest=${digestOf(data)}`, {
      headers: { "content-range": `200000-${data.length - 1}` },
      body: last,
    });
    expect(done.status).toBe(201);
    expect((await pull("chunks", digestOf(data))).equals(data)).toBe(true);
  });

  it("appends streamed PATCH bodies without Content-Range, and closes with an empty PUT", async () => {
    const location = await start("stream");
    for (const part of ["one ", "two ", "three"])
      expect((await call(reg.url, "PATCH", location, { body: part })).status).toBe(202);
    expect((await call(reg.url, "PUT", `${location}?digest=${digestOf("one two three")}`)).status).toBe(201);
  });

  it("serialises two PATCHes racing on one session", async () => {
    const location = await start("race");
    const results = await Promise.all(
      ["aaaa", "bbbb"].map((body) => call(reg.url, "PATCH", location, { headers: { "content-range": "0-3" }, body })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([202, 416]);
    expect((await call(reg.url, "GET", location)).headers.get("range")).toBe("0-3");
  });

  it("cancels a session (204), after which it is unknown", async () => {
    const location = await start("cancel");
    await call(reg.url, "PATCH", location, { body: "partial" });
    expect((await call(reg.url, "DELETE", location)).status).toBe(204);
    expect((await call(reg.url, "PATCH", location, { body: "more" })).code).toBe("BLOB_UPLOAD_UNKNOWN");
    expect((await call(reg.url, "GET", location.replace("/cancel/", "/other/"))).code).toBe("BLOB_UPLOAD_UNKNOWN");
  });

  it("uploads with sha512, asked up front or only at the end", async () => {
    const data = Buffer.from("sha512 blob");
    const location = await start("sha512", "?digest-algorithm=sha512");
    expect((await call(reg.url, "PUT", `${location}?digest=${digestOf(data, "sha512")}`, { body: data })).status).toBe(
      201,
    );
    const late = await start("sha512");
    expect((await call(reg.url, "PUT", `${late}?digest=${digestOf("late", "sha512")}`, { body: "late" })).status).toBe(
      201,
    );
    expect((await pull("sha512", digestOf(data, "sha512"))).equals(data)).toBe(true);
    expect((await call(reg.url, "POST", "/v2/sha512/blobs/uploads/?digest-algorithm=md5")).code).toBe("DIGEST_INVALID");
  });

  it("mounts a blob from another repository (201), and opens a session when it cannot (202)", async () => {
    const data = Buffer.from("mount me");
    await call(reg.url, "POST", `/v2/source/blobs/uploads/?digest=${digestOf(data)}`, { body: data });
    const mounted = await call(reg.url, "POST", `/v2/target/blobs/uploads/?mount=${digestOf(data)}&from=source`);
    expect([mounted.status, mounted.headers.get("location"), mounted.headers.get("docker-content-digest")]).toEqual([
      201,
      `/v2/target/blobs/${digestOf(data)}`,
      digestOf(data),
    ]);
    expect((await pull("target", digestOf(data))).equals(data)).toBe(true);
    const missing = await call(reg.url, "POST", `/v2/target/blobs/uploads/?mount=${digestOf("absent")}&from=source`);
    expect([missing.status, missing.headers.get("location")?.startsWith("/v2/target/blobs/uploads/")]).toEqual([
      202,
      true,
    ]);
    const wrongFrom = await call(reg.url, "POST", `/v2/target2/blobs/uploads/?mount=${digestOf(data)}&from=elsewhere`);
    expect(wrongFrom.status).toBe(202);
    const anonymous = await call(reg.url, "POST", `/v2/target3/blobs/uploads/?mount=${digestOf(data)}`);
    expect(anonymous.status).toBe(201);
  });
});
