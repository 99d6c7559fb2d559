import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { digestOf } from "../digest.js";
import { MediaType } from "../media-types.js";
import { DigestMismatchError } from "../verify-stream.js";
import { readBody } from "./http-transport.js";
import { createRegistryClient, type RegistryClient } from "./registry-client.js";
import { ContentDigestError, RegistryError, RegistryNetworkError } from "./registry-error.js";
import { startFakeRegistry, type FakeAuth, type FakeRegistry } from "./testing/fake-registry.js";
import { selfSignedLoopback } from "./testing/self-signed.js";

const fast = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };
let registry: FakeRegistry;
let client: RegistryClient;
afterEach(async () => {
  client?.close();
  await registry?.close();
});

async function setup(auth: FakeAuth = { mode: "none" }, credentials?: { username: string; password: string }) {
  registry = await startFakeRegistry(auth);
  client = createRegistryClient({ url: registry.url, credentials, retry: fast });
}

function seedImage(repo = "lib/app", tag = "v1") {
  const layer = randomBytes(300_000);
  const config = Buffer.from("{}");
  const layerDigest = registry.putBlob(layer);
  const configDigest = registry.putBlob(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: configDigest, size: 2 },
      layers: [{ mediaType: MediaType.OciLayer, digest: layerDigest, size: layer.length }],
    }),
  );
  const digest = registry.putManifest(repo, tag, manifest, MediaType.OciManifest);
  return { layer, layerDigest, manifest, digest };
}

describe("manifests", () => {
  it("gets by tag and by digest with exact bytes, media type and digest", async () => {
    await setup();
    const img = seedImage();
    const byTag = await client.getManifest("lib/app", "v1");
    expect(byTag).toEqual({ bytes: img.manifest, mediaType: MediaType.OciManifest, digest: img.digest });
    expect((await client.getManifest("lib/app", img.digest)).bytes.equals(img.manifest)).toBe(true);
    expect(await client.headManifest("lib/app", "v1")).toEqual({
      digest: img.digest,
      mediaType: MediaType.OciManifest,
      size: img.manifest.length,
    });
    expect(await client.headManifest("lib/app", "nope")).toBeUndefined();
  });
  it("rejects a manifest whose bytes do not match the digest asked for", async () => {
    await setup();
    const img = seedImage();
    registry.addFault({ method: "GET", path: /manifests/, body: Buffer.from('{"schemaVersion":2}') });
    await expect(client.getManifest("lib/app", img.digest)).rejects.toBeInstanceOf(ContentDigestError);
  });
  it("answers 404 as RegistryError with the spec code and does not retry it", async () => {
    await setup();
    const error = await client.getManifest("lib/app", "missing").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ status: 404, code: "MANIFEST_UNKNOWN" });
    expect(client.requestCount).toBe(1);
  });
  it("pushes a manifest and lists tags across pages", async () => {
    await setup();
    const img = seedImage();
    for (const t of ["a", "b", "c", "d", "e"])
      await client.pushManifest("lib/app", t, img.manifest, MediaType.OciManifest);
    expect(await client.listTags("lib/app", { pageSize: 2 })).toEqual(["a", "b", "c", "d", "e", "v1"]);
    expect(await client.listTags("lib/none")).toEqual([]);
    expect(await client.deleteManifest("lib/app", img.digest)).toBe(true);
    expect(await client.headManifest("lib/app", "a")).toBeUndefined();
  });
});

describe("authentication", () => {
  it("follows the token challenge with Basic credentials, then reuses the cached token per scope", async () => {
    await setup(
      { mode: "bearer", username: "robot$sat", password: "s3cret", tokenField: "access_token" },
      { username: "robot$sat", password: "s3cret" },
    );
    const img = seedImage();
    await client.getManifest("lib/app", "v1");
    await client.getManifest("lib/app", img.digest);
    await readBody(client.getBlob("lib/app", img.layerDigest), 1 << 20);
    expect(registry.tokenRequests).toEqual([
      { scope: ["repository:lib/app:pull"], service: "fake-registry", basicUser: "robot$sat" },
    ]);
    expect(registry.requests.filter((r) => r.path.startsWith("/v2/")).map((r) => r.authScheme)).toEqual([
      undefined,
      "Bearer",
      "Bearer",
      "Bearer",
    ]);
  });
  it("asks for push scope when pushing, and a new token when a cached one is refused", async () => {
    await setup({ mode: "bearer" });
    seedImage();
    await client.getManifest("lib/app", "v1");
    await client.pushBlob("lib/app", Buffer.from("state"));
    expect(registry.tokenRequests.map((t) => t.scope)).toEqual([
      ["repository:lib/app:pull"],
      ["repository:lib/app:pull,push"],
    ]);
  });
  it("replaces a token the registry stopped accepting, also when it answers with Harbor's Basic challenge", async () => {
    for (const harborChallenge of [false, true]) {
      await setup(
        { mode: "bearer", username: "robot", password: "pw", harborChallenge },
        { username: "robot", password: "pw" },
      );
      seedImage();
      await client.headManifest("lib/app", "v1");
      registry.revokeTokens();
      expect(await client.headManifest("lib/app", "v1")).toBeDefined();
      expect(registry.tokenRequests).toHaveLength(2);
      expect(registry.requests.filter((r) => r.path.startsWith("/v2/")).map((r) => r.authScheme)).toEqual([
        undefined,
        "Bearer",
        "Bearer",
        "Bearer",
      ]);
      client.close();
      await registry.close();
    }
  });
  it("fetches one token for concurrent first requests on one repository", async () => {
    await setup({ mode: "bearer" });
    seedImage();
    await Promise.all([
      client.headManifest("lib/app", "v1"),
      client.headManifest("lib/app", "v1"),
      client.getManifest("lib/app", "v1"),
    ]);
    expect(registry.tokenRequests).toHaveLength(1);
  });
  it("reuses a short-lived token while it lasts", async () => {
    await setup({ mode: "bearer", expiresIn: 4 });
    seedImage();
    await client.headManifest("lib/app", "v1");
    await client.headManifest("lib/app", "v1");
    expect(registry.tokenRequests).toHaveLength(1);
  });
  it("sends Basic up front once the registry asked for it", async () => {
    await setup({ mode: "basic", username: "u", password: "p" }, { username: "u", password: "p" });
    seedImage();
    await client.getManifest("lib/app", "v1");
    await client.headManifest("lib/app", "v1");
    expect(registry.requests.map((r) => r.authScheme)).toEqual([undefined, "Basic", "Basic"]);
  });
  it("retries with Basic every concurrent request that got a 401 before the scheme was known", async () => {
    await setup({ mode: "basic", username: "u", password: "p" }, { username: "u", password: "p" });
    const img = seedImage();
    const results = await Promise.all([
      client.getManifest("lib/app", "v1"),
      client.headManifest("lib/app", "v1"),
      client.getManifest("lib/app", img.digest),
    ]);
    expect(results.map((r) => r?.digest)).toEqual([img.digest, img.digest, img.digest]);
    const schemes = registry.requests.map((r) => r.authScheme);
    expect(schemes.filter((s) => s === undefined)).toHaveLength(3);
    expect(schemes.filter((s) => s === "Basic")).toHaveLength(3);
  });
  it("gives up after one Basic retry when the credentials are wrong", async () => {
    await setup({ mode: "basic", username: "u", password: "p" }, { username: "u", password: "wrong" });
    seedImage();
    const errors = await Promise.all([
      client.getManifest("lib/app", "v1").catch((e: unknown) => e),
      client.getManifest("lib/app", "v1").catch((e: unknown) => e),
    ]);
    for (const error of errors) expect(error).toMatchObject({ status: 401 });
    expect(registry.requests.length).toBeLessThanOrEqual(4);
  });
  it("fails with 401 on wrong credentials and never shows them", async () => {
    await setup({ mode: "bearer", username: "u", password: "right" }, { username: "u", password: "hunter2-wrong" });
    seedImage();
    const error = (await client.getManifest("lib/app", "v1").catch((e: unknown) => e)) as RegistryError;
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.status).toBe(401);
    expect(`${error.message} ${error.url} ${JSON.stringify(error)}`).not.toMatch(/hunter2|Basic |dTpo/);
  });
});

describe("retries", () => {
  it("retries 503 and 429 (honouring Retry-After) and then succeeds", async () => {
    await setup();
    seedImage();
    registry.addFault({ path: /manifests/, status: 503, times: 2 });
    registry.addFault({ path: /manifests/, status: 429, headers: { "retry-after": "0" } });
    expect((await client.getManifest("lib/app", "v1")).mediaType).toBe(MediaType.OciManifest);
    expect(client.requestCount).toBe(4);
  });
  it("gives up after the attempt budget and never retries a 400", async () => {
    await setup();
    seedImage();
    registry.addFault({ path: /manifests/, status: 502, times: 10 });
    await expect(client.getManifest("lib/app", "v1")).rejects.toMatchObject({ status: 502 });
    expect(client.requestCount).toBe(4);
    registry.addFault({ path: /tags/, status: 400 });
    await expect(client.listTags("lib/app")).rejects.toMatchObject({ status: 400 });
    expect(client.requestCount).toBe(5);
  });
  it("reports a registry that is not listening as a network error after retrying", async () => {
    await setup();
    const url = registry.url;
    await registry.close();
    const dead = createRegistryClient({ url, retry: fast });
    await expect(dead.headBlob("lib/app", digestOf("x"))).rejects.toBeInstanceOf(RegistryNetworkError);
    expect(dead.requestCount).toBe(4);
    dead.close();
  });
});

describe("blobs", () => {
  it("resumes a cut download with Range and verifies the whole", async () => {
    await setup();
    const img = seedImage();
    registry.addFault({ method: "GET", path: /blobs/, cutAfterBytes: 100_000, times: 2 });
    const resumes: number[] = [];
    const bytes = await readBody(
      client.getBlob("lib/app", img.layerDigest, { size: img.layer.length, onResume: (o) => resumes.push(o) }),
      1 << 20,
    );
    expect(bytes.equals(img.layer)).toBe(true);
    expect(resumes).toEqual([100_000, 200_000]);
    expect(registry.requests.filter((r) => r.range).map((r) => r.range)).toEqual(["bytes=100000-", "bytes=200000-"]);
  });
  it("resumes correctly when the server ignores Range", async () => {
    await setup();
    const img = seedImage();
    registry.addFault({ method: "GET", path: /blobs/, cutAfterBytes: 70_000 });
    registry.addFault({ method: "GET", path: /blobs/, ignoreRange: true });
    const bytes = await readBody(client.getBlob("lib/app", img.layerDigest, { size: img.layer.length }), 1 << 20);
    expect(bytes.equals(img.layer)).toBe(true);
  });
  it("rejects corrupt bytes", async () => {
    await setup();
    const img = seedImage();
    registry.addFault({ method: "GET", path: /blobs/, corrupt: true });
    await expect(readBody(client.getBlob("lib/app", img.layerDigest), 1 << 20)).rejects.toBeInstanceOf(
      DigestMismatchError,
    );
  });
  it("pushes from memory and from a file, skips what exists and mounts across repositories", async () => {
    await setup({ mode: "bearer" });
    const dir = await mkdtemp(join(tmpdir(), "client-test-"));
    try {
      const data = randomBytes(50_000);
      const file = join(dir, "blob");
      await writeFile(file, data);
      expect(await client.pushBlob("a/one", { file })).toEqual({
        digest: digestOf(data),
        size: data.length,
        outcome: "uploaded",
      });
      expect(registry.blob(digestOf(data))?.equals(data)).toBe(true);
      expect((await client.pushBlob("a/one", data)).outcome).toBe("existed");
      expect((await client.pushBlob("a/two", data, { mountFrom: "a/one", skipExisting: false })).outcome).toBe(
        "mounted",
      );
      expect((await client.pushBlob("a/two", Buffer.from("small"))).outcome).toBe("uploaded");
      expect(await client.headBlob("a/two", digestOf("small"))).toEqual({ size: 5 });
      expect(await client.headBlob("a/two", digestOf("absent"))).toBeUndefined();
      expect((await client.getBlobBytes("a/one", digestOf(data))).equals(data)).toBe(true);
      await expect(
        client.pushManifest("a/one", digestOf("x"), Buffer.from("y"), MediaType.OciManifest),
      ).rejects.toBeInstanceOf(ContentDigestError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("https", () => {
  it("trusts a registry's private CA when given, and refuses the certificate otherwise", async () => {
    const tls = await selfSignedLoopback();
    registry = await startFakeRegistry({ mode: "none" }, tls);
    seedImage();
    client = createRegistryClient({ url: registry.url, tls: { ca: tls.cert }, retry: fast });
    expect((await client.getManifest("lib/app", "v1")).mediaType).toBe(MediaType.OciManifest);
    const strict = createRegistryClient({ url: registry.url, retry: fast });
    const error = await strict.headManifest("lib/app", "v1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryNetworkError);
    // A certificate failure is final: no retry, and no request reached the registry.
    expect(strict.requestCount).toBe(1);
    strict.close();
    expect(registry.requests.filter((r) => r.path.includes("manifests"))).toHaveLength(1);
  });

  it("takes TLS options per connection when given a factory (SPIFFE mTLS: rotating SVID, its own server check)", async () => {
    const tls = await selfSignedLoopback();
    registry = await startFakeRegistry({ mode: "none" }, tls);
    seedImage();
    const checked: string[] = [];
    let built = 0;
    const connectionOptions = (verdict?: Error) => () => {
      built++;
      return {
        ca: tls.cert,
        checkServerIdentity: (host: string) => {
          checked.push(host);
          return verdict;
        },
      };
    };
    client = createRegistryClient({ url: registry.url, tls: { connectionOptions: connectionOptions() }, retry: fast });
    expect((await client.getManifest("lib/app", "v1")).mediaType).toBe(MediaType.OciManifest);
    expect(built).toBeGreaterThan(0);
    expect(checked).toContain("127.0.0.1");
    // The factory's check decides, whatever the static options say.
    const refused = createRegistryClient({
      url: registry.url,
      tls: { insecureSkipVerify: true, connectionOptions: connectionOptions(new Error("not Ground Control")) },
      retry: fast,
    });
    expect(await refused.headManifest("lib/app", "v1").catch((e: unknown) => e)).toBeInstanceOf(RegistryNetworkError);
    refused.close();
  });
});
