// The server side of SPIFFE mTLS relies on the TLS stack's chain verification as well as the
// SPIFFE rules: real https servers on 127.0.0.1 built with createServerTlsOptions, reporting
// what OpenSSL decided (socket.authorized) next to what verifyTlsPeer decided.
import { once } from "node:events";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeWorkloadApi, TestCA, type TestSvid } from "@harbor-satellite/testkit/spiffe";
import { authorizeID } from "./authorizer.js";
import { issueSvidWithUnknownExtension } from "./critical-extension.fixture.js";
import { SvidVerificationError } from "./errors.js";
import { TrustDomain } from "./spiffe-id.js";
import {
  createClientTlsOptions,
  createServerTlsOptions,
  keepServerTlsCurrent,
  verifyTlsPeer,
  verifyTlsPeerChain,
} from "./tls.js";
import { X509Bundle, X509BundleSet, type X509BundleSource } from "./x509-bundle.js";
import { createStaticX509Source, createX509Source, type X509Source } from "./x509-source.js";

const TD = TrustDomain.parse("example.org");
const GC = "spiffe://example.org/gc/main";
const SATELLITE = "spiffe://example.org/satellite/region/eu/s1";

interface Reply {
  status: number;
  /** What OpenSSL said about the client's chain. */
  authorized: boolean;
  authorizationError?: string;
  id?: string;
  reason?: string;
  message?: string;
}

/** Verifies the client per request against `spiffeBundles` (by default the server's own source). */
function reportingHandler(spiffeBundles: X509BundleSource) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as TLSSocket;
    const seen = {
      authorized: socket.authorized,
      authorizationError: socket.authorizationError as unknown as string | undefined,
    };
    let body: Omit<Reply, "status">;
    try {
      body = { ...seen, id: verifyTlsPeer(socket, spiffeBundles).toString() };
    } catch (err) {
      if (!(err instanceof SvidVerificationError)) throw err;
      body = { ...seen, reason: err.reason, message: err.message };
    }
    res.writeHead(body.id ? 200 : 401, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
}

function get(port: number, options: https.RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: "127.0.0.1", port, path: "/", agent: false, ...options }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (data += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, ...(JSON.parse(data) as Omit<Reply, "status">) }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function listen(server: https.Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

describe("mTLS server: the TLS stack's verification and the SPIFFE rules", () => {
  let ca: TestCA;
  let fake: FakeWorkloadApi;
  let serverSource: X509Source;
  let clientSource: X509Source;
  const servers: https.Server[] = [];
  let unsubscribe: () => void;

  /** Client options that trust Ground Control's CA but present `cert`/`key`. */
  const presenting = (pem: { certPem: string; keyPem: string }): https.RequestOptions => ({
    ...createClientTlsOptions(clientSource, authorizeID(GC)),
    cert: pem.certPem,
    key: pem.keyPem,
  });
  const serve = async (spiffeBundles: X509BundleSource = serverSource): Promise<number> => {
    const server = https.createServer(createServerTlsOptions(serverSource), reportingHandler(spiffeBundles));
    servers.push(server);
    return listen(server);
  };

  beforeAll(async () => {
    ca = await TestCA.create(TD);
    fake = await FakeWorkloadApi.start();
    fake.setIdentity({ svids: [await ca.issueSvid(GC)], bundle: ca.bundle() });
    serverSource = await createX509Source({ socket: fake.address, backoff: { baseMs: 5, capMs: 20 } });
    clientSource = createStaticX509Source({
      svid: await ca.issueSvid(SATELLITE),
      bundles: new X509BundleSet([ca.bundle()]),
    });
  });

  afterAll(async () => {
    unsubscribe?.();
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    await serverSource?.close();
    await clientSource?.close();
    await fake?.stop();
  });

  it("server options carry the bundle's CAs and ask for a client certificate", () => {
    const options = createServerTlsOptions(serverSource);
    expect(options).toMatchObject({ requestCert: true, rejectUnauthorized: false });
    expect(options.ca).toContain(ca.certificate.toString().trim());
  });

  it("accepts a conformant SVID only when OpenSSL verified it too", async () => {
    const reply = await get(await serve(), createClientTlsOptions(clientSource, authorizeID(GC)));
    expect(reply).toMatchObject({ status: 200, authorized: true, id: SATELLITE });
  });

  it("rejects a client chaining to a CA not in the bundle: OpenSSL does not verify it (authorized false)", async () => {
    const stranger = await TestCA.create(TD); // our trust domain, SPIFFE-valid in every other way
    const reply = await get(await serve(), presenting(await stranger.issueSvid(SATELLITE)));
    expect(reply).toMatchObject({ status: 401, authorized: false });
    expect(reply.authorizationError).toBeTruthy();
  });

  it("rejects a chain the SPIFFE rules accept when the TLS stack did not verify it, with OpenSSL's reason", async () => {
    // The SPIFFE layer is handed a bundle that includes the stranger CA, the TLS `ca` is not:
    // only the TLS stack's verdict stands between this certificate and acceptance.
    const stranger = await TestCA.create(TD);
    const lenient = new X509BundleSet([new X509Bundle(TD, [ca.certificate, stranger.certificate])]);
    const reply = await get(await serve(lenient), presenting(await stranger.issueSvid(SATELLITE)));
    expect(reply).toMatchObject({ status: 401, authorized: false, reason: "tls-unverified" });
    expect(reply.message).toBe(`TLS verification of the client certificate failed: ${reply.authorizationError}`);
    expect(reply.authorizationError).toMatch(/ISSUER|LOCAL|VERIFY/);
  });

  it("rejects a leaf with an unknown critical extension (the SPIFFE rules alone would accept it)", async () => {
    const critical = await issueSvidWithUnknownExtension(TD, SATELLITE, true);
    const bundles = new X509BundleSet([critical.bundle]);
    const source = createStaticX509Source({ svid: await ca.issueSvid(GC), bundles });
    const server = https.createServer(createServerTlsOptions(source), reportingHandler(bundles));
    servers.push(server);
    const port = await listen(server);
    const refused = await get(port, presenting(critical));
    // OpenSSL fails it with error 34 (unhandled critical extension); Node's table of verify error
    // codes lacks that one and reports it as UNSPECIFIED.
    expect(refused).toMatchObject({ status: 401, authorized: false, reason: "tls-unverified" });
    expect(refused.message).toMatch(
      /^TLS verification of the client certificate failed: (UNHANDLED_CRITICAL_EXTENSION|UNSPECIFIED)$/,
    );
    // The same leaf with the extension not critical is fine: it is the criticality OpenSSL refuses.
    const benign = await issueSvidWithUnknownExtension(TD, SATELLITE, false);
    const benignBundles = new X509BundleSet([benign.bundle]);
    const benignServer = https.createServer(
      createServerTlsOptions(createStaticX509Source({ svid: await ca.issueSvid(GC), bundles: benignBundles })),
      reportingHandler(benignBundles),
    );
    servers.push(benignServer);
    const accepted = await get(await listen(benignServer), presenting(benign));
    expect(accepted).toMatchObject({ status: 200, authorized: true, id: SATELLITE });
  });

  it("trusts a client from a new CA once the bundle rotates, because keepServerTlsCurrent refreshes `ca` too", async () => {
    const server = https.createServer(createServerTlsOptions(serverSource), reportingHandler(serverSource));
    servers.push(server);
    unsubscribe = keepServerTlsCurrent(server, serverSource);
    const port = await listen(server);
    const nextCa = await TestCA.create(TD);
    const fromNextCa: TestSvid = await nextCa.issueSvid(SATELLITE);
    expect(await get(port, presenting(fromNextCa))).toMatchObject({ status: 401, authorized: false });
    const rotated = new Promise<void>((resolve) => {
      const off = serverSource.watch(() => (off(), resolve()));
    });
    fake.rotate({ svids: [await ca.issueSvid(GC)], bundle: new X509Bundle(TD, [ca.certificate, nextCa.certificate]) });
    await rotated;
    expect(await get(port, presenting(fromNextCa))).toMatchObject({ status: 200, authorized: true, id: SATELLITE });
    expect(await get(port, createClientTlsOptions(clientSource, authorizeID(GC)))).toMatchObject({
      status: 200,
      authorized: true,
    });
  });
});

describe("verifyTlsPeerChain", () => {
  it("says until when the result holds (the earliest notAfter on the path) and against which bundle", async () => {
    const ca = await TestCA.create(TD);
    const intermediate = await ca.createIntermediate({ notAfter: new Date(Date.now() + 600_000) });
    const svid = await intermediate.issueSvid(SATELLITE, { notAfter: new Date(Date.now() + 1_200_000) });
    const bundles = new X509BundleSet([ca.bundle()]);
    const socket = {
      getPeerCertificate: peerCertificateOf(svid),
      authorized: true,
      authorizationError: null as unknown as Error,
    };
    const verified = verifyTlsPeerChain(socket, bundles);
    expect(verified.id.toString()).toBe(SATELLITE);
    expect(verified.expiresAt.getTime()).toBe(Date.parse(intermediate.certificate.validTo));
    expect(verified.bundle).toBe(bundles.getX509Bundle(TD));
    const unverified = { ...socket, authorized: false, authorizationError: "CERT_REVOKED" as unknown as Error };
    expect(() => verifyTlsPeerChain(unverified, bundles)).toThrow(
      "TLS verification of the client certificate failed: CERT_REVOKED",
    );
  });
});

/** A getPeerCertificate(true) answer for `svid`'s chain, shaped like Node's (issuerCertificate links). */
function peerCertificateOf(svid: TestSvid) {
  type Linked = { raw: Buffer; fingerprint256: string; issuerCertificate?: Linked };
  const linked = svid.certificates.map((c): Linked => ({ raw: c.raw, fingerprint256: c.fingerprint256 }));
  linked.forEach((cert, i) => (cert.issuerCertificate = linked[i + 1] ?? cert));
  return (() => linked[0]) as unknown as TLSSocket["getPeerCertificate"];
}
