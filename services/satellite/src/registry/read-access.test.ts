// Read credentials and HTTPS on the registry's listener: every request, the /v2/ probe included,
// needs Basic credentials of a reader or a writer; TLS serves the same API, and a plain-HTTP
// client on the TLS port gets its connection closed, never an answer.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { TestCA } from "@harbor-satellite/testkit/spiffe";
import { MediaType } from "@harbor-satellite/oci";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storedImage } from "../store/test-helpers.js";
import { call, startTestRegistry, type TestRegistry } from "./test-server.js";

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("read credentials", () => {
  let registry: TestRegistry;
  let manifest: string;

  beforeAll(async () => {
    registry = await startTestRegistry({
      readCredentials: "# pullers\nnode:pull-secret\n",
      writeCredentials: "ci:push-secret\n",
    });
    const image = await storedImage(registry.store, "read");
    await registry.store.putManifest("library/app", image.manifest, MediaType.OciManifest, "1");
    manifest = image.digest;
  });
  afterAll(() => registry.stop());

  it("refuses anonymous reads and the /v2/ probe with 401 and a Basic challenge", async () => {
    for (const [method, path] of [
      ["GET", "/v2/"],
      ["GET", "/v2/library/app/manifests/1"],
      ["HEAD", `/v2/library/app/manifests/${manifest}`],
      ["GET", "/v2/_catalog"],
      ["GET", "/v2/nope/tags/list"],
    ]) {
      const res = await call(registry.url, method, path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get("www-authenticate"), path).toMatch(/^Basic realm="harbor-satellite"/);
    }
  });

  it("refuses wrong credentials", async () => {
    for (const header of [basic("node", "wrong"), basic("nobody", "pull-secret"), "Bearer x"])
      expect((await call(registry.url, "GET", "/v2/", { headers: { Authorization: header } })).status).toBe(401);
  });

  it("serves a reader and a writer", async () => {
    for (const header of [basic("node", "pull-secret"), basic("ci", "push-secret")]) {
      expect((await call(registry.url, "GET", "/v2/", { headers: { Authorization: header } })).status).toBe(200);
      const res = await call(registry.url, "GET", "/v2/library/app/manifests/1", {
        headers: { Authorization: header },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("docker-content-digest")).toBe(manifest);
    }
  });

  it("does not let a reader write", async () => {
    const res = await call(registry.url, "POST", "/v2/library/app/blobs/uploads/", {
      headers: { Authorization: basic("node", "pull-secret") },
    });
    expect(res.status).toBe(401);
    expect(
      (
        await call(registry.url, "POST", "/v2/library/app/blobs/uploads/", {
          headers: { Authorization: basic("ci", "push-secret") },
        })
      ).status,
    ).toBe(202);
  });
});

describe("TLS", () => {
  let registry: TestRegistry;
  let ca: TestCA;

  beforeAll(async () => {
    ca = await TestCA.create("registry.test");
    const leaf = await ca.issueSvid("spiffe://registry.test/satellite", {
      noUriSan: true,
      ipAddresses: ["127.0.0.1"],
      dnsNames: ["localhost"],
    });
    registry = await startTestRegistry({
      tls: { cert: Buffer.from(leaf.certPem), key: Buffer.from(leaf.keyPem) },
      readCredentials: "node:pull-secret\n",
    });
    const image = await storedImage(registry.store, "tls");
    await registry.store.putManifest("library/app", image.manifest, MediaType.OciManifest, "1");
  });
  afterAll(() => registry.stop());

  const get = (path: string, headers: Record<string, string> = {}, trusted = true) =>
    new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
      const req = httpsRequest(
        `${registry.url}${path}`,
        { ca: trusted ? ca.certificate.toString() : undefined, headers, agent: false },
        (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        },
      );
      req.on("error", reject);
      req.end();
    });

  it("listens on https:// and serves with credentials", async () => {
    expect(registry.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await get("/v2/")).status).toBe(401);
    const res = await get("/v2/library/app/manifests/1", { Authorization: basic("node", "pull-secret") });
    expect(res.status).toBe(200);
    expect(res.headers["docker-distribution-api-version"]).toBe("registry/2.0");
  });

  it("is refused by a client that does not trust the CA", async () => {
    await expect(get("/v2/", {}, false)).rejects.toThrow(/self.signed|unable to verify|certificate/i);
  });

  it("closes a plain-HTTP connection without an answer, and keeps serving", async () => {
    const plain = await new Promise<string>((resolve) => {
      const req = httpRequest(registry.url.replace("https:", "http:") + "/v2/", { agent: false }, (res) =>
        resolve(`status ${res.statusCode}`),
      );
      req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      req.end();
    });
    expect(plain).toMatch(/ECONNRESET|socket hang up|HPE_/);
    expect((await get("/v2/", { Authorization: basic("node", "pull-secret") })).status).toBe(200);
  });
});
