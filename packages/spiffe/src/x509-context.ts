// Turns Workload API responses into what the rest of the package uses. Every response is the
// full state (SPIFFE_Workload_API.md §4.3/§4.4): the result replaces, never merges with, what came
// before, so anything missing is thereby redacted.
import type { X509BundlesResponse, X509SVIDResponse } from "@harbor-satellite/gen/spiffe/workload/workload_pb";
import { InvalidSvidError } from "./errors.js";
import { X509Bundle, X509BundleSet } from "./x509-bundle.js";
import { parseX509Svid, type X509Svid } from "./x509-svid.js";

/** Our identities and the bundles to verify peers with. */
export interface X509Context {
  /** Non-empty; the first is the default identity (§8); hints are unique (first one wins). */
  svids: X509Svid[];
  /** Our trust domain's bundle and every federated one. */
  bundles: X509BundleSet;
}

/** Parses an X509SVIDResponse; throws InvalidSvidError when it breaks the profile's rules. */
export function parseX509SvidResponse(response: X509SVIDResponse): X509Context {
  if (response.svids.length === 0) throw new InvalidSvidError("X509SVIDResponse has no SVIDs");
  const svids: X509Svid[] = [];
  const seenHints = new Set<string>();
  let bundles = X509BundleSet.fromDerMap(response.federatedBundles);
  for (const raw of response.svids) {
    // §5.2.1: with duplicate hints the first SVID is selected; later ones are skipped.
    if (raw.hint !== "" && seenHints.has(raw.hint)) continue;
    if (raw.hint !== "") seenHints.add(raw.hint);
    const svid = parseX509Svid({
      spiffeId: raw.spiffeId,
      chainDer: raw.x509Svid,
      keyDer: raw.x509SvidKey,
      hint: raw.hint,
    });
    if (raw.bundle.length === 0)
      throw new InvalidSvidError(`SVID ${svid.id.toString()} comes without its trust bundle`);
    bundles = bundles.with(X509Bundle.fromDer(svid.id.trustDomain, raw.bundle));
    svids.push(svid);
  }
  return { svids, bundles };
}

/** Parses an X509BundlesResponse; the bundles map is mandatory. */
export function parseX509BundlesResponse(response: X509BundlesResponse): X509BundleSet {
  const set = X509BundleSet.fromDerMap(response.bundles);
  if (set.bundles().length === 0) throw new InvalidSvidError("X509BundlesResponse has no bundles");
  return set;
}
