import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { TestCA } from "@harbor-satellite/testkit/spiffe";
import {
  certificatesToPem,
  concatDer,
  parseDerCertificates,
  parsePkcs8Der,
  privateKeyToPem,
  splitDerCertificates,
} from "./der.js";
import { InvalidSvidError } from "./errors.js";
import type { X509Certificate } from "node:crypto";

describe("DER chains", () => {
  let pool: X509Certificate[];

  beforeAll(async () => {
    const ca = await TestCA.create("example.org");
    const intermediate = await ca.createIntermediate();
    const svid = await intermediate.issueSvid("spiffe://example.org/a", { dnsNames: ["x".repeat(300)] });
    pool = [ca.certificate, ...svid.certificates];
  });

  it("splits any concatenation back into its certificates (node alone reads only the first)", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 2 }), { maxLength: 6 }), (picks) => {
        const certs = picks.map((i) => pool[i]!);
        const parts = splitDerCertificates(concatDer(certs));
        expect(parts.map((p) => p.toString("hex"))).toEqual(certs.map((c) => c.raw.toString("hex")));
      }),
    );
  });

  it("refuses truncated or foreign bytes", () => {
    const der = concatDer(pool);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: der.length - 1 }), (cut) => {
        const boundaries = new Set<number>();
        let offset = 0;
        for (const c of pool) boundaries.add((offset += c.raw.length));
        if (boundaries.has(cut)) return;
        expect(() => splitDerCertificates(der.subarray(0, cut))).toThrow(InvalidSvidError);
      }),
    );
    expect(() => splitDerCertificates(Buffer.from([0x04, 0x01, 0x00]))).toThrow(/SEQUENCE/);
    expect(() => splitDerCertificates(Buffer.from([0x30, 0x80, 0x00, 0x00]))).toThrow(/length encoding/);
    expect(() => parseDerCertificates(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]))).toThrow(/cannot be parsed/);
    expect(splitDerCertificates(Buffer.alloc(0))).toEqual([]);
  });

  it("renders PEM for node:tls and reads PKCS#8 DER keys", async () => {
    const svid = await (await TestCA.create("example.org")).issueSvid("spiffe://example.org/a");
    expect(certificatesToPem(svid.certificates).match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    const key = parsePkcs8Der(svid.keyDer);
    expect(privateKeyToPem(key)).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(svid.certificates[0]!.checkPrivateKey(key)).toBe(true);
    expect(() => parsePkcs8Der(Buffer.from("nope"))).toThrow(InvalidSvidError);
  });
});
