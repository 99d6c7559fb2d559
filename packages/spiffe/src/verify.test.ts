import { describe, expect, it, beforeAll } from "vitest";
import { TestCA } from "@harbor-satellite/testkit/spiffe";
import { authorizeID, authorizePathPrefix } from "./authorizer.js";
import { SvidVerificationError } from "./errors.js";
import { SpiffeId } from "./spiffe-id.js";
import { verifyPeerCertificate } from "./verify.js";
import { X509BundleSet } from "./x509-bundle.js";

const SATELLITE = "spiffe://example.org/satellite/region/eu/s1";

function rejection(fn: () => unknown): SvidVerificationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SvidVerificationError);
    return err as SvidVerificationError;
  }
  throw new Error("expected a rejection");
}

describe("verifyPeerCertificate", () => {
  let ca: TestCA;
  let evil: TestCA;
  let bundles: X509BundleSet;

  beforeAll(async () => {
    ca = await TestCA.create("example.org");
    evil = await TestCA.create("evil.test");
    bundles = new X509BundleSet([ca.bundle()]);
  });

  it("returns the SPIFFE ID of a conformant SVID chained to its trust domain's bundle", async () => {
    const svid = await ca.issueSvid(SATELLITE);
    const id = verifyPeerCertificate(svid.certificates, bundles, {
      authorizer: authorizePathPrefix("example.org", "/satellite/"),
    });
    expect(id.toString()).toBe(SATELLITE);
  });

  it("accepts DER buffers and a chain through an intermediate", async () => {
    const intermediate = await ca.createIntermediate();
    const svid = await intermediate.issueSvid(SATELLITE);
    expect(svid.certificates).toHaveLength(2);
    const id = verifyPeerCertificate(
      svid.certificates.map((c) => c.raw),
      bundles,
    );
    expect(id.equals(SpiffeId.parse(SATELLITE))).toBe(true);
  });

  it("rejects an intermediate chain when the intermediate is not sent", async () => {
    const intermediate = await ca.createIntermediate();
    const svid = await intermediate.issueSvid(SATELLITE);
    expect(rejection(() => verifyPeerCertificate([svid.certificates[0]!], bundles)).reason).toBe("untrusted-chain");
  });

  it("enforces the CA's path length", async () => {
    const root = await TestCA.create("example.org", { pathLength: 0 });
    const svid = await (await root.createIntermediate()).issueSvid(SATELLITE);
    const err = rejection(() => verifyPeerCertificate(svid.certificates, new X509BundleSet([root.bundle()])));
    expect(err.reason).toBe("untrusted-chain");
  });

  it("rejects no certificate", () => {
    const err = rejection(() => verifyPeerCertificate([], bundles));
    expect([err.reason, err.message]).toEqual(["no-certificate", "no client certificate"]);
    expect(rejection(() => verifyPeerCertificate([], bundles, { peer: "server" })).message).toBe(
      "no server certificate",
    );
  });

  it("rejects a foreign trust domain", async () => {
    const svid = await evil.issueSvid("spiffe://evil.test/satellite/region/eu/s1");
    const err = rejection(() => verifyPeerCertificate(svid.certificates, bundles));
    expect([err.reason, err.message]).toEqual(["untrusted-trust-domain", "trust domain evil.test is not trusted"]);
  });

  it("rejects an SVID for our trust domain signed by a foreign CA", async () => {
    const svid = await evil.issueSvid(SATELLITE);
    expect(rejection(() => verifyPeerCertificate(svid.certificates, bundles)).reason).toBe("untrusted-chain");
  });

  it("rejects a foreign SVID even when the foreign bundle is known, if the issuer is our CA", async () => {
    const svid = await ca.issueSvid("spiffe://evil.test/x");
    const both = new X509BundleSet([ca.bundle(), evil.bundle()]);
    expect(rejection(() => verifyPeerCertificate(svid.certificates, both)).reason).toBe("untrusted-chain");
  });

  it("rejects an expired SVID and one not yet valid", async () => {
    const expired = await ca.issueSvid(SATELLITE, {
      notBefore: new Date(Date.now() - 7200_000),
      notAfter: new Date(Date.now() - 3600_000),
    });
    const err = rejection(() => verifyPeerCertificate(expired.certificates, bundles));
    expect(err.reason).toBe("expired");
    expect(err.message).toMatch(/^certificate expired at /);
    const future = await ca.issueSvid(SATELLITE, {
      notBefore: new Date(Date.now() + 3600_000),
      notAfter: new Date(Date.now() + 7200_000),
    });
    expect(rejection(() => verifyPeerCertificate(future.certificates, bundles)).reason).toBe("not-yet-valid");
  });

  it("rejects an SVID whose intermediate has expired", async () => {
    const intermediate = await ca.createIntermediate({
      notBefore: new Date(Date.now() - 7200_000),
      notAfter: new Date(Date.now() - 60_000),
    });
    const svid = await intermediate.issueSvid(SATELLITE, { notBefore: new Date(Date.now() - 3600_000) });
    const err = rejection(() => verifyPeerCertificate(svid.certificates, bundles));
    expect([err.reason, err.message.startsWith("intermediate certificate expired")]).toEqual(["expired", true]);
  });

  it("rejects a leaf that is a CA", async () => {
    const svid = await ca.issueSvid(SATELLITE, { asCA: true });
    expect(rejection(() => verifyPeerCertificate(svid.certificates, bundles)).reason).toBe("leaf-is-ca");
  });

  it("rejects two URI SANs, none, and a non-SPIFFE or root-path URI", async () => {
    const two = await ca.issueSvid(SATELLITE, { extraUriSans: ["spiffe://example.org/gc/main"] });
    const err = rejection(() => verifyPeerCertificate(two.certificates, bundles));
    expect([err.reason, err.message]).toEqual([
      "multiple-uri-sans",
      "certificate has 2 URI SANs; an X509-SVID must have exactly one",
    ]);
    const none = await ca.issueSvid(SATELLITE, { noUriSan: true, dnsNames: ["localhost"] });
    expect(rejection(() => verifyPeerCertificate(none.certificates, bundles)).reason).toBe("no-uri-san");
    const https = await ca.issueSvid(SATELLITE, { noUriSan: true, extraUriSans: ["https://example.org/x"] });
    expect(rejection(() => verifyPeerCertificate(https.certificates, bundles)).reason).toBe("invalid-spiffe-id");
    const root = await ca.issueSvid(SATELLITE, { noUriSan: true, extraUriSans: ["spiffe://example.org"] });
    expect(rejection(() => verifyPeerCertificate(root.certificates, bundles)).reason).toBe("root-path");
  });

  it("never checks hostnames: DNS SANs are irrelevant", async () => {
    const svid = await ca.issueSvid(SATELLITE, { dnsNames: ["not-this-host.invalid"] });
    expect(verifyPeerCertificate(svid.certificates, bundles).toString()).toBe(SATELLITE);
  });

  it("applies the authorizer after verification", async () => {
    const svid = await ca.issueSvid("spiffe://example.org/other/workload");
    const err = rejection(() =>
      verifyPeerCertificate(svid.certificates, bundles, {
        authorizer: authorizePathPrefix("example.org", "/satellite/"),
      }),
    );
    expect([err.reason, err.message]).toEqual([
      "unauthorized",
      "spiffe://example.org/other/workload is not under /satellite/",
    ]);
    const wrapped = rejection(() =>
      verifyPeerCertificate(svid.certificates, bundles, {
        authorizer: () => {
          throw new Error("custom");
        },
      }),
    );
    expect(wrapped.reason).toBe("unauthorized");
    expect(
      verifyPeerCertificate(svid.certificates, bundles, {
        authorizer: authorizeID("spiffe://example.org/other/workload"),
      }).path,
    ).toBe("/other/workload");
  });

  it("rejects garbage bytes as malformed", () => {
    expect(rejection(() => verifyPeerCertificate([Buffer.from("not a cert")], bundles)).reason).toBe(
      "malformed-certificate",
    );
  });

  it("honours the verification time", async () => {
    const svid = await ca.issueSvid(SATELLITE);
    const later = new Date(Date.now() + 2 * 3600_000);
    expect(rejection(() => verifyPeerCertificate(svid.certificates, bundles, { now: later })).reason).toBe("expired");
  });
});
