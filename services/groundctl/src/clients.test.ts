// The transport against a real TLS listener (HTTP/1.1 and HTTP/2 on one port, as Ground Control's):
// a private CA from --ca-file, refusal without it, --insecure-skip-verify, and the bearer header.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { TestCA } from "@harbor-satellite/testkit/spiffe";
import { clientsOn, connectTo } from "./clients.js";
import { describeError, ExitCode, exitCodeFor, UsageError } from "./exit-codes.js";
import type { Target } from "./target.js";

describe("transport to an https Ground Control", () => {
  let server: Http2SecureServer;
  let dir: string;
  let caFile: string;
  let url: string;
  const seen: { authorization: string | null; httpVersion: string }[] = [];

  beforeAll(async () => {
    const ca = await TestCA.create("groundctl.test");
    const leaf = await ca.issueSvid("spiffe://groundctl.test/gc/main", { dnsNames: ["localhost"] });
    dir = await mkdtemp(join(tmpdir(), "groundctl-tls-"));
    caFile = join(dir, "ca.pem");
    await writeFile(caFile, ca.certificate.toString());
    const handler = connectNodeAdapter({
      routes: (router) =>
        router.service(IdentityService, {
          logout: (_req, ctx) => {
            seen.push({
              authorization: ctx.requestHeader.get("authorization"),
              httpVersion: ctx.requestHeader.get("x-http-version") ?? "",
            });
            return {};
          },
        }),
    });
    server = createSecureServer({ cert: leaf.certPem, key: leaf.keyPem, allowHTTP1: true }, (req, res) => {
      req.headers["x-http-version"] = req.httpVersion;
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `https://localhost:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const target = (over: Partial<Target>): Target => ({
    url,
    insecureSkipVerify: false,
    http2: false,
    timeoutMs: 5000,
    credentials: { kind: "bearer", token: "tok" },
    ...over,
  });
  const logout = async (t: Target) => {
    const connection = await connectTo(t);
    try {
      await clientsOn(connection.transport).identity.logout({});
    } finally {
      connection.close();
    }
  };

  it("verifies the server with the CA from --ca-file, over HTTP/1.1 and HTTP/2, sending the bearer session", async () => {
    await logout(target({ caFile }));
    await logout(target({ caFile, http2: true }));
    expect(seen.splice(0)).toEqual([
      { authorization: "Bearer tok", httpVersion: "1.1" },
      { authorization: "Bearer tok", httpVersion: "2.0" },
    ]);
  });

  it("refuses a server its CA does not vouch for, and skips the check only when told", async () => {
    const error = await logout(target({})).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect(describeError(error)).toMatch(
      /^internal: unable to verify the first certificate \(TLS UNABLE_TO_VERIFY_LEAF_SIGNATURE: --ca-file FILE trusts a private CA\)$/,
    );
    expect(exitCodeFor(error)).toBe(ExitCode.Failure);
    await logout(target({ insecureSkipVerify: true }));
    expect(seen.splice(0)).toHaveLength(1);
  });

  it("sends Basic credentials", async () => {
    await logout(target({ caFile, credentials: { kind: "basic", username: "admin", password: "pw" } }));
    expect(seen.splice(0)[0].authorization).toBe(`Basic ${Buffer.from("admin:pw").toString("base64")}`);
  });

  it("says which CA file it cannot read, as a usage error", async () => {
    await expect(connectTo(target({ caFile: join(dir, "missing.pem") }))).rejects.toThrow(UsageError);
    await expect(connectTo(target({ caFile: join(dir, "missing.pem") }))).rejects.toThrow(
      /cannot read --ca-file .*missing\.pem/,
    );
  });
});
