// The test CA issues what X509-SVID.md requires (and SPIRE issues), and breaks it only on request.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { describe, expect, it } from "vitest";
import { validateX509Svid, verifyPeerCertificate, X509BundleSet } from "@harbor-satellite/spiffe";
import { TestCA } from "./test-ca.js";

const ID = "spiffe://example.org/satellite/region/eu/s1";

function parsed(raw: Buffer) {
  const cert = new x509.X509Certificate(raw);
  return {
    basic: cert.getExtension(x509.BasicConstraintsExtension),
    ku: cert.getExtension(x509.KeyUsagesExtension),
    eku: cert.getExtension(x509.ExtendedKeyUsageExtension),
    uris:
      cert
        .getExtension(x509.SubjectAlternativeNameExtension)
        ?.names.items.filter((n) => n.type === "url")
        .map((n) => n.value) ?? [],
    ski: cert.getExtension(x509.SubjectKeyIdentifierExtension),
    aki: cert.getExtension(x509.AuthorityKeyIdentifierExtension),
    cert,
  };
}

describe("TestCA", () => {
  it("makes an EC P-256 CA: cA=true, critical keyCertSign|cRLSign, URI SAN of the trust domain", async () => {
    const ca = await TestCA.create("example.org");
    const p = parsed(ca.certificate.raw);
    expect(ca.certificate.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(p.basic?.ca).toBe(true);
    expect(p.basic?.critical).toBe(true);
    expect(p.ku?.critical).toBe(true);
    expect(p.ku?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(p.uris).toEqual(["spiffe://example.org"]);
    expect(ca.certificate.checkIssued(ca.certificate)).toBe(true);
  });

  it("issues leaves as SPIRE does: cA=false, critical digitalSignature, both EKUs, one URI SAN, SKI/AKI", async () => {
    const ca = await TestCA.create("example.org");
    const svid = await ca.issueSvid(ID);
    const p = parsed(svid.certificates[0]!.raw);
    expect(p.basic?.ca).toBe(false);
    expect(p.ku?.critical).toBe(true);
    expect(p.ku!.usages & x509.KeyUsageFlags.digitalSignature).toBeTruthy();
    expect(p.ku!.usages & (x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign)).toBe(0);
    expect(p.eku?.usages).toEqual(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
    expect(p.uris).toEqual([ID]);
    expect(p.ski).toBeDefined();
    expect(Buffer.from(p.aki!.keyId!, "hex").equals(Buffer.from(parsed(ca.certificate.raw).ski!.keyId, "hex"))).toBe(
      true,
    );
    expect(p.cert.subject).toBe("C=US, O=SPIRE");
    expect(new Date(svid.certificates[0]!.validFrom).getTime()).toBeLessThan(Date.now());
    expect(() => validateX509Svid(svid)).not.toThrow();
    expect(svid.chainDer.equals(svid.certificates[0]!.raw)).toBe(true);
  });

  it("chains through intermediates, which are CAs with keyCertSign", async () => {
    const root = await TestCA.create("example.org");
    const inner = await (await root.createIntermediate()).createIntermediate();
    const svid = await inner.issueSvid(ID);
    expect(svid.certificates).toHaveLength(3);
    expect(inner.bundle().authorities[0]!.fingerprint256).toBe(root.certificate.fingerprint256);
    expect(() => validateX509Svid(svid)).not.toThrow();
    expect(verifyPeerCertificate(svid.certificates, new X509BundleSet([root.bundle()])).toString()).toBe(ID);
  });

  it("breaks the rules only when asked", async () => {
    const ca = await TestCA.create("example.org");
    const asCA = parsed((await ca.issueSvid(ID, { asCA: true })).certificates[0]!.raw);
    expect([asCA.basic?.ca, (asCA.ku!.usages & x509.KeyUsageFlags.keyCertSign) !== 0]).toEqual([true, true]);
    expect(
      parsed((await ca.issueSvid(ID, { extraUriSans: ["spiffe://example.org/b"] })).certificates[0]!.raw).uris,
    ).toHaveLength(2);
    expect(
      parsed((await ca.issueSvid(ID, { noUriSan: true, dnsNames: ["x.test"] })).certificates[0]!.raw).uris,
    ).toEqual([]);
    expect(parsed((await ca.issueSvid(ID, { extendedKeyUsages: null })).certificates[0]!.raw).eku).toBeNull();
    const expired = await ca.issueSvid(ID, {
      notAfter: new Date(Date.now() - 1000),
      notBefore: new Date(Date.now() - 60_000),
    });
    expect(new Date(expired.certificates[0]!.validTo).getTime()).toBeLessThan(Date.now());
  });
});
