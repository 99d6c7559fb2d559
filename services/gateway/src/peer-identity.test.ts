// The per-connection cache of a client's verified SVID: verified once per connection, but expiry
// and the trust bundle re-checked on every request. Sockets here are stand-ins shaped like Node's
// (the real TLS path is covered in spiffe-mtls.test.ts); the clock is injected.
import type { TLSSocket } from "node:tls";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createStaticX509Source,
  TrustDomain,
  X509Bundle,
  X509BundleSet,
  type MutableX509Source,
} from "@harbor-satellite/spiffe";
import { TestCA, type TestSvid } from "@harbor-satellite/testkit/spiffe";
import { createPeerVerifier, type PeerSource } from "./peer-identity.js";

const TD = "harbor-satellite.local";

interface StandInSocket {
  encrypted: true;
  authorized: boolean;
  authorizationError?: string;
  /** How often the certificate was read, i.e. how often the connection was verified. */
  reads: number;
  getPeerCertificate: TLSSocket["getPeerCertificate"];
}

/** A TLS socket whose peer presented `svid`, as Node would hand it over (issuerCertificate links). */
function socketPresenting(svid: TestSvid, authorized = true, authorizationError?: string): StandInSocket {
  type Linked = { raw: Buffer; fingerprint256: string; issuerCertificate?: Linked };
  const linked = svid.certificates.map((c): Linked => ({ raw: c.raw, fingerprint256: c.fingerprint256 }));
  linked.forEach((cert, i) => (cert.issuerCertificate = linked[i + 1] ?? cert));
  const socket: StandInSocket = {
    encrypted: true,
    authorized,
    authorizationError,
    reads: 0,
    getPeerCertificate: (() => {
      socket.reads++;
      return linked[0];
    }) as unknown as TLSSocket["getPeerCertificate"],
  };
  return socket;
}

/** A request on an HTTP/2 connection: every stream has its own socket proxy, one session. */
const onSession = (session: object, socket: StandInSocket): PeerSource => ({ socket, stream: { session } });

describe("peer identity", () => {
  let ca: TestCA;
  let gcSvid: TestSvid;
  beforeAll(async () => {
    ca = await TestCA.create(TD);
    gcSvid = await ca.issueSvid(`spiffe://${TD}/gc/main`);
  });
  const sourceTrusting = (...cas: TestCA[]): MutableX509Source =>
    createStaticX509Source({
      svid: gcSvid,
      bundles: new X509BundleSet([
        new X509Bundle(
          TrustDomain.parse(TD),
          cas.map((c) => c.certificate),
        ),
      ]),
    });

  it("verifies a connection once, then per request compares only the expiry", async () => {
    const verifier = createPeerVerifier(sourceTrusting(ca), TD);
    const socket = socketPresenting(await ca.issueSvid(`spiffe://${TD}/satellite/region/eu/edge-1`));
    const session = {};
    expect(verifier(onSession(session, socket))).toEqual({
      kind: "satellite",
      spiffeId: `spiffe://${TD}/satellite/region/eu/edge-1`,
      name: "edge-1",
      region: "eu",
    });
    const verification = socket.reads;
    for (let i = 0; i < 5; i++)
      expect(verifier(onSession(session, socket))).toMatchObject({ kind: "satellite", name: "edge-1" });
    expect(socket.reads).toBe(verification);
    // Another connection (session) is verified on its own.
    expect(verifier(onSession({}, socket))).toMatchObject({ kind: "satellite" });
    expect(socket.reads).toBe(2 * verification);
  });

  it("refuses a request once the SVID expired on a live connection: the connection's cached verdict is not trusted", async () => {
    let now = Date.now();
    const verifier = createPeerVerifier(sourceTrusting(ca), TD, { now: () => now });
    const notAfter = new Date(Math.ceil((now + 60_000) / 1000) * 1000); // X.509 times are whole seconds
    const socket = socketPresenting(await ca.issueSvid(`spiffe://${TD}/satellite/region/eu/edge-1`, { notAfter }));
    const session = {};
    expect(verifier(onSession(session, socket))).toMatchObject({ kind: "satellite", name: "edge-1" });
    const verification = socket.reads;
    now = notAfter.getTime(); // notAfter itself is still valid
    expect(verifier(onSession(session, socket))).toMatchObject({ kind: "satellite", name: "edge-1" });
    now = notAfter.getTime() + 1;
    expect(verifier(onSession(session, socket))).toEqual({
      kind: "rejected",
      reason: `certificate expired at ${notAfter.toISOString()} while the connection was open`,
    });
    expect(socket.reads).toBe(verification); // refused from the cached expiry, without verifying again
  });

  it("expires with the earliest notAfter on the path: an intermediate that expires before the leaf", async () => {
    let now = Date.now();
    const verifier = createPeerVerifier(sourceTrusting(ca), TD, { now: () => now });
    const intermediate = await ca.createIntermediate({ notAfter: new Date(now + 30_000) });
    const socket = socketPresenting(
      await intermediate.issueSvid(`spiffe://${TD}/satellite/region/eu/edge-2`, {
        notAfter: new Date(now + 3_600_000),
      }),
    );
    const session = {};
    expect(verifier(onSession(session, socket))).toMatchObject({ kind: "satellite", name: "edge-2" });
    now = Date.parse(intermediate.certificate.validTo) + 1;
    const reason = `certificate expired at ${new Date(intermediate.certificate.validTo).toISOString()} while the connection was open`;
    expect(verifier(onSession(session, socket))).toEqual({ kind: "rejected", reason });
  });

  it("re-verifies open connections when the bundle rotates: kept while their CA stays, refused once it is gone", async () => {
    const nextCa = await TestCA.create(TD);
    const source = sourceTrusting(ca);
    const verifier = createPeerVerifier(source, TD);
    const socket = socketPresenting(await ca.issueSvid(`spiffe://${TD}/satellite/region/eu/edge-1`));
    const session = {};
    expect(verifier(onSession(session, socket))).toMatchObject({ kind: "satellite" });
    const verification = socket.reads;
    source.set({
      bundles: new X509BundleSet([new X509Bundle(TrustDomain.parse(TD), [ca.certificate, nextCa.certificate])]),
    });
    expect(verifier(onSession(session, socket))).toMatchObject({ kind: "satellite" });
    expect(socket.reads).toBe(2 * verification); // verified again, once, against the new bundle
    expect(verifier(onSession(session, socket))).toMatchObject({ kind: "satellite" });
    expect(socket.reads).toBe(2 * verification);
    source.set({ bundles: new X509BundleSet([new X509Bundle(TrustDomain.parse(TD), [nextCa.certificate])]) });
    expect(verifier(onSession(session, socket))).toMatchObject({
      kind: "rejected",
      reason: expect.stringMatching(/does not chain to the trust bundle/),
    });
  });

  it("refuses a certificate the TLS stack did not verify, with its reason, even when the SPIFFE rules hold", async () => {
    const verifier = createPeerVerifier(sourceTrusting(ca), TD);
    const socket = socketPresenting(
      await ca.issueSvid(`spiffe://${TD}/satellite/region/eu/edge-1`),
      false,
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    );
    expect(verifier({ socket })).toEqual({
      kind: "rejected",
      reason: "TLS verification of the client certificate failed: UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    });
  });

  it("treats a connection without a certificate, or without TLS, as no peer", () => {
    const verifier = createPeerVerifier(sourceTrusting(ca), TD);
    const bare = { encrypted: true, authorized: false, getPeerCertificate: () => ({}) };
    expect(verifier({ socket: bare })).toEqual({ kind: "none" });
    expect(verifier({ socket: { encrypted: false } })).toEqual({ kind: "none" });
  });
});
