// X.509 bundles: each trust domain's CA certificates. Verification picks the bundle of the
// peer's own trust domain (SPIFFE_Workload_API.md §4.6), so bundles are kept per trust domain
// rather than as one merged CA list.
import type { X509Certificate } from "node:crypto";
import { parseDerCertificates, certificatesToPem } from "./der.js";
import { InvalidSvidError } from "./errors.js";
import { TrustDomain } from "./spiffe-id.js";

/** Anything that can hand out the bundle of a trust domain (an X509Source, a bundle set). */
export interface X509BundleSource {
  getX509Bundle(trustDomain: TrustDomain): X509Bundle | undefined;
}

/** A trust domain and its X.509 authorities. */
export class X509Bundle {
  constructor(
    readonly trustDomain: TrustDomain,
    readonly authorities: readonly X509Certificate[],
  ) {}

  /** From concatenated DER, the Workload API's bundle encoding. */
  static fromDer(trustDomain: TrustDomain, der: Uint8Array): X509Bundle {
    const authorities = parseDerCertificates(der);
    if (authorities.length === 0) throw new InvalidSvidError(`bundle of ${trustDomain.name} is empty`);
    return new X509Bundle(trustDomain, authorities);
  }

  /** The authorities as PEM, for node:tls `ca`. */
  toPem(): string {
    return certificatesToPem(this.authorities);
  }
}

/** Bundles keyed by trust domain; a full-state snapshot, replaced (not merged) on each update. */
export class X509BundleSet implements X509BundleSource {
  private readonly byName = new Map<string, X509Bundle>();

  constructor(bundles: Iterable<X509Bundle> = []) {
    for (const b of bundles) this.byName.set(b.trustDomain.name, b);
  }

  /**
   * From the Workload API's `map<string, bytes>`. Keys are trust domain IDs (`spiffe://td`,
   * what SPIRE sends) or bare names (what some fakes send); both are accepted.
   */
  static fromDerMap(entries: Record<string, Uint8Array> | Iterable<[string, Uint8Array]>): X509BundleSet {
    const pairs = Symbol.iterator in entries ? [...entries] : Object.entries(entries);
    return new X509BundleSet(pairs.map(([key, der]) => X509Bundle.fromDer(parseBundleKey(key), der)));
  }

  getX509Bundle(trustDomain: TrustDomain): X509Bundle | undefined {
    return this.byName.get(trustDomain.name);
  }

  bundles(): X509Bundle[] {
    return [...this.byName.values()];
  }

  trustDomains(): TrustDomain[] {
    return this.bundles().map((b) => b.trustDomain);
  }

  /** Every authority of every trust domain: what node:tls needs as `ca` for a first-pass check. */
  allAuthorities(): X509Certificate[] {
    return this.bundles().flatMap((b) => [...b.authorities]);
  }

  /** A new set with `bundle` added or replacing the one of its trust domain. */
  with(bundle: X509Bundle): X509BundleSet {
    const next = new X509BundleSet(this.bundles());
    next.byName.set(bundle.trustDomain.name, bundle);
    return next;
  }
}

function parseBundleKey(key: string): TrustDomain {
  try {
    return TrustDomain.parse(key);
  } catch (err) {
    throw new InvalidSvidError(`bundle key ${JSON.stringify(key)} is not a trust domain`, { cause: err });
  }
}
