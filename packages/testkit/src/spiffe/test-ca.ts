// A test certificate authority issuing X509-SVIDs the way SPIRE does (credtemplate/builder.go):
// EC P-256; the CA has cA=true, critical KeyUsage keyCertSign|cRLSign and URI SAN spiffe://<td>;
// leaves have cA=false, critical KeyUsage digitalSignature (+ keyEncipherment|keyAgreement),
// EKU serverAuth+clientAuth (OpenSSL refuses TLS certs without them), exactly one URI SAN,
// SKI/AKI, subject C=US, O=SPIRE and NotBefore backdated 10 s. Options break each rule on purpose
// for negative tests: expired, extra URI SANs, CA-flagged leaves, foreign trust domains.
import { KeyObject, X509Certificate, randomBytes, webcrypto } from "node:crypto";
import "reflect-metadata"; // @peculiar/x509's DI container refuses to load without it
import * as x509 from "@peculiar/x509";
import { SpiffeId, TrustDomain, X509Bundle, type X509Svid } from "@harbor-satellite/spiffe";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC_P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
const NOT_BEFORE_CUSHION_MS = 10_000;
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

export interface TestCaOptions {
  /** Default now - 10 s. */
  notBefore?: Date;
  /** Default one day after now. */
  notAfter?: Date;
  /** Max intermediates below this CA. */
  pathLength?: number;
}

export interface IssueSvidOptions {
  /** Default now - 10 s. */
  notBefore?: Date;
  /** Default one hour after now. Set in the past for an expired SVID. */
  notAfter?: Date;
  /** More URI SANs after the SPIFFE ID, to get a (non-conformant) multi-URI SVID. */
  extraUriSans?: string[];
  /** Leave out the URI SAN entirely. */
  noUriSan?: boolean;
  dnsNames?: string[];
  /** IP address SANs (a TLS server on 127.0.0.1). */
  ipAddresses?: string[];
  /** Mark the leaf as a CA (cA=true, keyCertSign) — must be rejected as a peer. */
  asCA?: boolean;
  /** EKU OIDs; default serverAuth+clientAuth; null leaves the extension out. */
  extendedKeyUsages?: string[] | null;
  hint?: string;
}

/** An issued SVID plus the PEM/DER forms tests feed to servers and clients. */
export interface TestSvid extends X509Svid {
  certPem: string;
  keyPem: string;
  /** Leaf first, concatenated DER: the Workload API's `x509_svid`. */
  chainDer: Buffer;
  /** PKCS#8 DER: the Workload API's `x509_svid_key`. */
  keyDer: Buffer;
}

export class TestCA {
  private constructor(
    readonly trustDomain: TrustDomain,
    readonly certificate: X509Certificate,
    private readonly issuerName: x509.Name,
    private readonly keys: webcrypto.CryptoKeyPair,
    /** This CA's certificates from itself up to (excluding) the root; [] for a root. */
    private readonly chainToRoot: readonly X509Certificate[],
    private readonly root: TestCA | undefined,
  ) {}

  /** A self-signed root CA for `trustDomain` (a name like "example.org" or a TrustDomain). */
  static async create(trustDomain: string | TrustDomain, options: TestCaOptions = {}): Promise<TestCA> {
    const td = typeof trustDomain === "string" ? TrustDomain.parse(trustDomain) : trustDomain;
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `C=US, O=SPIFFE, CN=${td.name} test CA`,
      notBefore: options.notBefore ?? cushioned(),
      notAfter: options.notAfter ?? new Date(Date.now() + 24 * 3600_000),
      keys,
      signingAlgorithm: SIGNING,
      extensions: await caExtensions(td, keys.publicKey, keys.publicKey, options.pathLength),
    });
    return new TestCA(td, toNode(cert), cert.subjectName, keys, [], undefined);
  }

  /** An intermediate CA signed by this one (same trust domain unless given). */
  async createIntermediate(options: TestCaOptions & { trustDomain?: TrustDomain } = {}): Promise<TestCA> {
    const td = options.trustDomain ?? this.trustDomain;
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `C=US, O=SPIFFE, CN=${td.name} intermediate ${serial().slice(0, 8)}`,
      issuer: this.issuerName,
      notBefore: options.notBefore ?? cushioned(),
      notAfter: options.notAfter ?? new Date(Date.now() + 12 * 3600_000),
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: SIGNING,
      extensions: await caExtensions(td, keys.publicKey, this.keys.publicKey, options.pathLength),
    });
    return new TestCA(td, toNode(cert), cert.subjectName, keys, [toNode(cert), ...this.chainToRoot], this.root ?? this);
  }

  /** The trust bundle: the root CA certificate. */
  bundle(): X509Bundle {
    const root = this.root ?? this;
    return new X509Bundle(root.trustDomain, [root.certificate]);
  }

  /** The bundle as raw DER (what the Workload API and GetBundle carry). */
  bundleDer(): Buffer {
    return Buffer.from((this.root ?? this).certificate.raw);
  }

  /** Issues an X509-SVID for `id` (any trust domain: a foreign ID makes a mis-issued SVID). */
  async issueSvid(id: SpiffeId | string, options: IssueSvidOptions = {}): Promise<TestSvid> {
    const spiffeId = typeof id === "string" ? SpiffeId.parse(id) : id;
    const keys = await newKeys();
    const names: x509.JsonGeneralName[] = [
      ...(options.noUriSan ? [] : [{ type: "url" as const, value: spiffeId.toString() }]),
      ...(options.extraUriSans ?? []).map((value) => ({ type: "url" as const, value })),
      ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
      ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
    ];
    const usages = options.asCA
      ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
      : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyAgreement;
    const ekus = options.extendedKeyUsages === undefined ? [SERVER_AUTH, CLIENT_AUTH] : options.extendedKeyUsages;
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(options.asCA ?? false, undefined, true),
      new x509.KeyUsagesExtension(usages, true),
      ...(ekus ? [new x509.ExtendedKeyUsageExtension(ekus, false)] : []),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey),
    ];
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: "C=US, O=SPIRE",
      issuer: this.issuerName,
      notBefore: options.notBefore ?? cushioned(),
      notAfter: options.notAfter ?? new Date(Date.now() + 3600_000),
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: SIGNING,
      extensions,
    });
    const certificates = [toNode(leaf), ...this.chainToRoot];
    const privateKey = KeyObject.from(keys.privateKey);
    return {
      id: spiffeId,
      certificates,
      privateKey,
      hint: options.hint ?? "",
      certPem: certificates.map((c) => c.toString()).join(""),
      keyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
      chainDer: Buffer.concat(certificates.map((c) => c.raw)),
      keyDer: privateKey.export({ type: "pkcs8", format: "der" }),
    };
  }
}

async function caExtensions(
  td: TrustDomain,
  subjectKey: webcrypto.CryptoKey,
  issuerKey: webcrypto.CryptoKey,
  pathLength: number | undefined,
): Promise<x509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    new x509.SubjectAlternativeNameExtension([{ type: "url", value: td.idString() }], false),
    await x509.SubjectKeyIdentifierExtension.create(subjectKey),
    await x509.AuthorityKeyIdentifierExtension.create(issuerKey),
  ];
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
}

function toNode(cert: x509.X509Certificate): X509Certificate {
  return new X509Certificate(Buffer.from(cert.rawData));
}

/** A positive 128-bit serial (high bit cleared so DER needs no sign byte games). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString("hex");
}

function cushioned(): Date {
  return new Date(Date.now() - NOT_BEFORE_CUSHION_MS);
}
