import { Writable } from "node:stream";
import { MediaType, digestOf } from "@harbor-satellite/oci";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTempStore, storedImage } from "../store/test-helpers.js";
import { startRegistryServer, type RegistryServer } from "./server.js";
import { call, storeSnapshot } from "./test-server.js";
import { CredentialsFileError, hashPassword, parseBasic, parseWriteCredentials } from "./write-credentials.js";

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("write credentials file", () => {
  it("takes plain passwords and scrypt hashes, one user a line, skipping comments", async () => {
    const hash = await hashPassword("s3cret:with:colons", 10);
    const creds = parseWriteCredentials(`# site pushers\nci:plain-password\r\n\nops:${hash}\n`);
    expect(creds.users).toEqual(["ci", "ops"]);
    expect(await creds.verify(basic("ci", "plain-password"))).toBe(true);
    expect(await creds.verify(basic("ops", "s3cret:with:colons"))).toBe(true);
    expect(await creds.verify(basic("ops", "s3cret"))).toBe(false);
    expect(await creds.verify(basic("ci", "plain-passwordX"))).toBe(false);
    expect(await creds.verify(basic("nobody", "plain-password"))).toBe(false);
    expect(await creds.verify(basic("ops", "plain-password"))).toBe(false);
    for (const header of [
      undefined,
      "",
      "Bearer abc",
      "Basic",
      "Basic !!!",
      `Basic ${Buffer.from("no-colon").toString("base64")}`,
    ])
      expect(await creds.verify(header), String(header)).toBe(false);
  });

  it("takes htpasswd -B (bcrypt) lines, as written for docker-registry", async () => {
    // Apache's `htpasswd -nbB pull-user 's3cret pull'` and `htpasswd -nbB -C 4 other x`, verbatim.
    const creds = parseWriteCredentials(
      "pull-user:$2y$05$K2mMXWN3P5gMmG0QWtnUX.8sR/4SfbCwjrT54.Sc7Jzrzc6SOowze\n" +
        "other:$2y$04$Hthw1act6CY2csbhfD.yR.xUg3lwZ8gC/DJz9U2gVM28xCJji8GI2\n",
    );
    expect(creds.users).toEqual(["pull-user", "other"]);
    expect(creds.login).toBeUndefined(); // a hash cannot be handed to a runtime as a password
    expect(await creds.verify(basic("pull-user", "s3cret pull"))).toBe(true);
    expect(await creds.verify(basic("other", "x"))).toBe(true);
    expect(await creds.verify(basic("pull-user", "s3cret"))).toBe(false);
    expect(await creds.verify(basic("other", "s3cret pull"))).toBe(false);
  });

  it("refuses files it cannot use, never quoting a secret", () => {
    for (const [text, pattern] of [
      ["", /names no user/],
      ["# only a comment\n", /names no user/],
      ["no-colon-here\n", /line 1: expected user:password/],
      ["ci:\n", /empty password/],
      ["ci:a\nci:b\n", /appears twice/],
      ["ci:$2y$05$abcdefghijklmnopqrstuuJ0TtCz5Ox3Jd2O3Bcn9Jl0h6\n", /malformed bcrypt hash/],
      ["ci:$2x$05$abcdefghijklmnopqrstuuJ0TtCz5Ox3Jd2O3Bcn9Jl0h6UyuS6J2\n", /malformed bcrypt hash/],
      ["ci:$2y$13$abcdefghijklmnopqrstuuJ0TtCz5Ox3Jd2O3Bcn9Jl0h6UyuS6J2\n", /bcrypt cost 13 out of range/],
      ["ci:$apr1$salt$hash\n", /not supported/],
      ["ci:$scrypt$ln=15$bad\n", /malformed scrypt hash/],
      ["ci:$scrypt$ln=30,r=8,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==\n", /out of range/],
    ] as const) {
      let error: unknown;
      try {
        parseWriteCredentials(text, "creds");
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(CredentialsFileError);
      expect((error as Error).message, text).toMatch(pattern);
      expect((error as Error).message).not.toMatch(/\$2y\$05\$abc|c2FsdHNhbHQ/);
    }
  });

  it("reads Basic headers", () => {
    expect(parseBasic(basic("u", "p:q"))).toEqual({ user: "u", password: "p:q" });
    expect(parseBasic("basic  " + Buffer.from("u:").toString("base64"))).toEqual({ user: "u", password: "" });
    expect(parseBasic("Digest x")).toBeUndefined();
  });
});

describe("registry in write mode (credentials)", () => {
  const PASSWORD = "correct horse battery staple";
  let server: RegistryServer;
  let dir: string;
  let cleanup: () => Promise<void>;
  let image: Awaited<ReturnType<typeof storedImage>>;
  let url: string;
  const logs: string[] = [];

  beforeAll(async () => {
    const opened = await openTempStore();
    ({ dir, cleanup } = opened);
    const { store } = opened;
    const logger = pino(
      { level: "debug" },
      new Writable({ write: (chunk: Buffer, _e, done) => (logs.push(chunk.toString()), done()) }),
    );
    server = await startRegistryServer({
      store,
      logger,
      host: "127.0.0.1",
      port: 0,
      writeAccess: { mode: "credentials", credentials: parseWriteCredentials(`pusher:${PASSWORD}\n`) },
    });
    url = server.url;
    image = await storedImage(store, "wm");
    await store.putManifest("app", image.manifest, MediaType.OciManifest, "v1");
  });
  afterAll(async () => {
    await server.close();
    await cleanup();
  });

  it("serves pulls to anyone and advertises the Basic challenge on /v2/", async () => {
    const base = await call(url, "GET", "/v2/");
    expect([base.status, base.headers.get("www-authenticate")]).toEqual([
      200,
      'Basic realm="harbor-satellite", charset="UTF-8"',
    ]);
    expect((await call(url, "GET", "/v2/app/manifests/v1")).status).toBe(200);
    expect(
      (await call(url, "GET", "/v2/app/manifests/v1", { headers: { authorization: basic("pusher", "wrong") } })).status,
    ).toBe(200);
  });

  it("refuses writes without credentials or with wrong ones: 401 UNAUTHORIZED and a Basic challenge, store unchanged", async () => {
    const before = await storeSnapshot(dir);
    const other = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: image.blobs[0], layers: [] }),
    );
    for (const authorization of [undefined, basic("pusher", "wrong"), basic("intruder", PASSWORD), "Bearer x"]) {
      const headers: Record<string, string> = {
        "content-type": MediaType.OciManifest,
        ...(authorization ? { authorization } : {}),
      };
      for (const [method, path, body] of [
        ["PUT", "/v2/app/manifests/v1", other],
        ["DELETE", "/v2/app/manifests/v1", undefined],
        ["DELETE", `/v2/app/manifests/${image.digest}`, undefined],
        ["POST", "/v2/app/blobs/uploads/", undefined],
        ["POST", "/v2/nowhere/at/all", undefined],
      ] as const) {
        const res = await call(url, method, path, { headers, body });
        expect(
          [res.status, res.code, res.headers.get("www-authenticate")],
          `${method} ${path} ${authorization}`,
        ).toEqual([401, "UNAUTHORIZED", 'Basic realm="harbor-satellite", charset="UTF-8"']);
      }
    }
    expect(await storeSnapshot(dir)).toEqual(before);
  });

  it("lets the credentials push and delete, and never logs the password", async () => {
    const auth = { authorization: basic("pusher", PASSWORD) };
    const data = Buffer.from("pushed with credentials");
    const single = await call(url, "POST", `/v2/app/blobs/uploads/?digest=${digestOf(data)}`, {
      headers: auth,
      body: data,
    });
    expect(single.status).toBe(201);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: image.blobs[0],
        layers: [{ mediaType: MediaType.OciLayer, digest: digestOf(data), size: data.length }],
      }),
    );
    expect(
      (
        await call(url, "PUT", "/v2/app/manifests/v2", {
          headers: { ...auth, "content-type": MediaType.OciManifest },
          body: manifest,
        })
      ).status,
    ).toBe(201);
    expect((await call(url, "GET", "/v2/app/manifests/v2")).headers.get("docker-content-digest")).toBe(
      digestOf(manifest),
    );
    expect((await call(url, "DELETE", "/v2/app/manifests/v2", { headers: auth })).status).toBe(202);
    const text = logs.join("");
    expect(text).toContain("UNAUTHORIZED");
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(Buffer.from(`pusher:${PASSWORD}`).toString("base64"));
  });
});
