// mTLS end to end on 127.0.0.1: real https/http2/tls servers with SVID-based options and clients
// presenting SVIDs from the test CA.
import { once } from "node:events";
import https from "node:https";
import http2 from "node:http2";
import tls, { type TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeWorkloadApi, TestCA, type TestSvid } from "@harbor-satellite/testkit/spiffe";
import { authorizeID, authorizePathPrefix } from "./authorizer.js";
import { SvidVerificationError } from "./errors.js";
import { TrustDomain } from "./spiffe-id.js";
import {
  createClientTlsOptions,
  createServerTlsOptions,
  keepServerTlsCurrent,
  requireVerifiedClients,
  verifyTlsPeer,
} from "./tls.js";
import { X509BundleSet } from "./x509-bundle.js";
import { createStaticX509Source, createX509Source, type X509Source } from "./x509-source.js";

const TD = TrustDomain.parse("example.org");
const GC = "spiffe://example.org/gc/main";
const SATELLITE = "spiffe://example.org/satellite/region/eu/s1";
const onlySatellites = authorizePathPrefix(TD, "/satellite/");

interface Reply {
  status: number;
  body: { id?: string; reason?: string; message?: string };
  serverSerial: string;
}

/** The handler a gateway would have: verify the client's SVID per request, 401 with the reason. */
function handler(source: X509Source) {
  return (req: IncomingMessage | http2.Http2ServerRequest, res: ServerResponse | http2.Http2ServerResponse) => {
    let status = 200;
    let body: Reply["body"];
    try {
      body = { id: verifyTlsPeer(req.socket as TLSSocket, source, { authorizer: onlySatellites }).toString() };
    } catch (err) {
      if (!(err instanceof SvidVerificationError)) throw err;
      status = 401;
      body = { reason: err.reason, message: err.message };
    }
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
}

function get(port: number, options: https.RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: "127.0.0.1", port, path: "/", agent: false, ...options }, (res) => {
      const serverSerial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (data += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(data) as Reply["body"], serverSerial }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function listen(server: https.Server | http2.Http2SecureServer | tls.Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

describe("SPIFFE mTLS over https", () => {
  let ca: TestCA;
  let evil: TestCA;
  let fake: FakeWorkloadApi;
  let serverSource: X509Source;
  let clientSource: X509Source;
  let server: https.Server;
  let port: number;
  let unsubscribe: () => void;

  /** Client options from the good client source, with another certificate presented. */
  function presenting(svid: TestSvid): https.RequestOptions {
    return { ...createClientTlsOptions(clientSource, authorizeID(GC)), cert: svid.certPem, key: svid.keyPem };
  }

  beforeAll(async () => {
    ca = await TestCA.create(TD);
    evil = await TestCA.create("evil.test");
    fake = await FakeWorkloadApi.start();
    fake.setIdentity({ svids: [await ca.issueSvid(GC)], bundle: ca.bundle() });
    serverSource = await createX509Source({ socket: fake.address, backoff: { baseMs: 5, capMs: 20 } });
    clientSource = createStaticX509Source({
      svid: await ca.issueSvid(SATELLITE),
      bundles: new X509BundleSet([ca.bundle()]),
    });
    server = https.createServer(createServerTlsOptions(serverSource), handler(serverSource));
    unsubscribe = keepServerTlsCurrent(server, serverSource);
    port = await listen(server);
  });

  afterAll(async () => {
    unsubscribe?.();
    server?.closeAllConnections();
    server?.close();
    await serverSource?.close();
    await clientSource?.close();
    await fake?.stop();
  });

  it("accepts a satellite's SVID and the client accepts Ground Control's", async () => {
    const reply = await get(port, createClientTlsOptions(clientSource, authorizeID(GC)));
    expect(reply).toMatchObject({ status: 200, body: { id: SATELLITE } });
  });

  it("never checks hostnames (the server SVID has no DNS or IP SAN; SNI is arbitrary)", async () => {
    const reply = await get(port, {
      ...createClientTlsOptions(clientSource, authorizeID(GC)),
      servername: "not-this-host.invalid",
    });
    expect(reply.status).toBe(200);
  });

  it("accepts a client chain through an intermediate", async () => {
    const svid = await (await ca.createIntermediate()).issueSvid("spiffe://example.org/satellite/region/us/s2");
    expect(await get(port, presenting(svid))).toMatchObject({
      status: 200,
      body: { id: "spiffe://example.org/satellite/region/us/s2" },
    });
  });

  it.each([
    [
      "no client certificate",
      "no-certificate",
      async (): Promise<{ cert?: string; key?: string }> => ({}),
      "no client certificate",
    ],
    [
      "a foreign trust domain",
      "untrusted-trust-domain",
      async () => pemOf(await evil.issueSvid("spiffe://evil.test/satellite/region/eu/s1")),
      "trust domain evil.test is not trusted",
    ],
    [
      "our trust domain signed by a foreign CA",
      "untrusted-chain",
      async () => pemOf(await evil.issueSvid(SATELLITE)),
      /does not chain to the trust bundle of example.org/,
    ],
    [
      "an expired SVID",
      "expired",
      async () =>
        pemOf(
          await ca.issueSvid(SATELLITE, {
            notBefore: new Date(Date.now() - 7200_000),
            notAfter: new Date(Date.now() - 3600_000),
          }),
        ),
      /^certificate expired at /,
    ],
    [
      "a leaf that is a CA",
      "leaf-is-ca",
      async () => pemOf(await ca.issueSvid(SATELLITE, { asCA: true })),
      /leaf certificate is a CA/,
    ],
    [
      "two URI SANs",
      "multiple-uri-sans",
      async () => pemOf(await ca.issueSvid(SATELLITE, { extraUriSans: ["spiffe://example.org/gc/main"] })),
      /2 URI SANs/,
    ],
    [
      "a valid SVID that is not a satellite",
      "unauthorized",
      async () => pemOf(await ca.issueSvid("spiffe://example.org/gc/main")),
      /is not under \/satellite\//,
    ],
  ])("rejects %s with reason %s", async (_case, reason, make, message) => {
    const presented = await make();
    const options = {
      ...createClientTlsOptions(clientSource, authorizeID(GC)),
      cert: presented.cert,
      key: presented.key,
    };
    const reply = await get(port, options);
    expect(reply.status).toBe(401);
    expect(reply.body.reason).toBe(reason);
    expect(reply.body.message).toMatch(message);
  });

  it("picks up a rotated server SVID without a restart", async () => {
    const before = await get(port, createClientTlsOptions(clientSource, authorizeID(GC)));
    const next = await ca.issueSvid(GC);
    const rotated = new Promise<void>((resolve) => {
      const off = serverSource.watch(() => (off(), resolve()));
    });
    fake.rotate({ svids: [next], bundle: ca.bundle() });
    await rotated;
    const after = await get(port, createClientTlsOptions(clientSource, authorizeID(GC)));
    expect(before.serverSerial).not.toBe(after.serverSerial);
    expect(after.serverSerial).toBe(next.certificates[0]!.serialNumber);
    expect(after.status).toBe(200);
  });

  it("client refuses a server whose SVID fails its authorizer", async () => {
    const err = await get(
      port,
      createClientTlsOptions(clientSource, authorizeID("spiffe://example.org/gc/other")),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SvidVerificationError);
    expect((err as SvidVerificationError).reason).toBe("unauthorized");
  });

  it("client checks the server's trust domain itself, not only the chain OpenSSL accepted", async () => {
    const impostor = https.createServer(
      { ...createServerTlsOptions(serverSource), ...pemOf(await ca.issueSvid("spiffe://evil.test/gc/main")) },
      handler(serverSource),
    );
    const impostorPort = await listen(impostor);
    try {
      const err = await get(impostorPort, createClientTlsOptions(clientSource, authorizeID(GC))).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SvidVerificationError);
      expect((err as SvidVerificationError).message).toBe("trust domain evil.test is not trusted");
    } finally {
      impostor.closeAllConnections();
      impostor.close();
    }
  });
});

function pemOf(svid: TestSvid): { cert?: string; key?: string } {
  return { cert: svid.certPem, key: svid.keyPem };
}

describe("SPIFFE mTLS over http2 and raw tls", () => {
  let ca: TestCA;
  let serverSource: X509Source;
  let clientSource: X509Source;
  const closers: Array<() => void> = [];

  beforeAll(async () => {
    ca = await TestCA.create(TD);
    const bundles = new X509BundleSet([ca.bundle()]);
    serverSource = createStaticX509Source({ svid: await ca.issueSvid(GC), bundles });
    clientSource = createStaticX509Source({ svid: await ca.issueSvid(SATELLITE), bundles });
  });

  afterAll(() => {
    for (const close of closers) close();
  });

  it("verifies the client per request on an http2 secure server", async () => {
    const server = http2.createSecureServer(createServerTlsOptions(serverSource), handler(serverSource));
    const port = await listen(server);
    const session = http2.connect(`https://127.0.0.1:${port}`, createClientTlsOptions(clientSource, authorizeID(GC)));
    closers.push(() => (session.destroy(), server.close()));
    const stream = session.request({ ":path": "/" });
    let data = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (data += chunk));
    const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
    await once(stream, "end");
    expect(headers[":status"]).toBe(200);
    expect(JSON.parse(data)).toEqual({ id: SATELLITE });
  });

  it("drops connections at handshake time with requireVerifiedClients and reports why", async () => {
    const server = tls.createServer(createServerTlsOptions(serverSource), (socket) =>
      socket.end("hello " + verifyTlsPeer(socket, serverSource)),
    );
    const rejected: string[] = [];
    requireVerifiedClients(server, serverSource, {
      authorizer: onlySatellites,
      onRejected: (err) => rejected.push(err.reason),
    });
    const port = await listen(server);
    closers.push(() => server.close());
    const talk = (options: tls.ConnectionOptions) =>
      new Promise<string>((resolve) => {
        const socket = tls.connect({ host: "127.0.0.1", port, ...options });
        let data = "";
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => (data += chunk));
        socket.on("error", () => resolve(`error:${data}`));
        socket.on("close", () => resolve(data));
      });
    expect(await talk(createClientTlsOptions(clientSource, authorizeID(GC)))).toBe(`hello ${SATELLITE}`);
    const other = await ca.issueSvid("spiffe://example.org/other");
    const refused = await talk({
      ...createClientTlsOptions(clientSource, authorizeID(GC)),
      cert: other.certPem,
      key: other.keyPem,
    });
    expect(refused).not.toContain("hello");
    expect(rejected).toEqual(["unauthorized"]);
  });
});
