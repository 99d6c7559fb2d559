// Where a state artifact lives, read from the URL forms Ground Control emits:
//   harbor.example.com/satellite/group-state/g/state:latest           (no scheme)
//   http://10.0.0.1:8080/satellite/satellite-state/s/state:latest     (HARBOR_URL's scheme)
//   https://harbor/satellite/group-state/g/state@sha256:…             (pinned by digest)
// With no scheme, plain HTTP is used where go-containerregistry uses it (localhost, loopback,
// RFC 1918, *.local) or when `insecure` is set; HTTPS otherwise. `--harbor-registry-url`
// replaces scheme and host of the URLs on Harbor's host (the satellite reaches Harbor under
// another name); the satellite-state URL is on Ground Control's host and stays as it is.
import { isDigest, isRepositoryName, isTag } from "@harbor-satellite/oci";

export interface StateReference {
  /** `http(s)://host[:port]`: the registry to ask. */
  registryUrl: string;
  /** `host[:port]`, for matching credentials to a registry. */
  host: string;
  repository: string;
  /** The tag or digest to fetch. */
  reference: string;
  /** True when the URL names a digest: its content can never change. */
  pinned: boolean;
}

export interface StateReferenceOptions {
  /** `--harbor-registry-url`: `https://harbor.internal:8443` or `harbor.internal`. */
  registryOverride?: string;
  /**
   * Harbor's host as Ground Control names it (ZTR `auth.url`): only URLs on it get the override.
   * Unset: every URL does (`satellite sync`, which knows no Ground Control).
   */
  harborHost?: string;
  /** Use plain HTTP for scheme-less URLs (`use_unsecure`). */
  insecure?: boolean;
}

export class InvalidStateReferenceError extends Error {
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(`invalid state artifact URL ${JSON.stringify(value.slice(0, 300))}: ${reason}`);
    this.name = "InvalidStateReferenceError";
  }
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Hosts go-containerregistry talks plain HTTP to without being told. */
export function isPlainHttpHost(host: string): boolean {
  const name = host
    .replace(/:\d+$/, "")
    .replace(/^\[|\]$/g, "")
    .toLowerCase();
  if (name === "localhost" || name === "::1" || name.endsWith(".local")) return true;
  const octets = name.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return false;
  const [a, b] = octets;
  return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/** Splits `scheme://host/path` (scheme optional) into its scheme, host and path. */
function splitAddress(value: string): { scheme?: string; host: string; path: string } {
  const match = SCHEME.exec(value);
  const scheme = match?.[1].toLowerCase();
  const rest = match ? value.slice(match[0].length) : value;
  const slash = rest.indexOf("/");
  return { scheme, host: slash < 0 ? rest : rest.slice(0, slash), path: slash < 0 ? "" : rest.slice(slash + 1) };
}

function schemeFor(host: string, given: string | undefined, insecure: boolean | undefined): string {
  if (given) return given;
  return insecure || isPlainHttpHost(host) ? "http" : "https";
}

/** `host[:port]` of an address or URL, lowercased, as written (no override). */
export function hostOf(address: string): string {
  return splitAddress(address.trim()).host.toLowerCase();
}

/** Resolves a registry address (`host`, `host:port`, `http://host`) to its base URL, with the override applied on Harbor's host. */
export function resolveRegistryUrl(
  address: string,
  options: StateReferenceOptions = {},
): { registryUrl: string; host: string } {
  const original = splitAddress(address.trim());
  const override =
    options.registryOverride &&
    (options.harborHost === undefined || original.host.toLowerCase() === options.harborHost.toLowerCase())
      ? options.registryOverride
      : undefined;
  const source = override ? splitAddress(override.trim()) : original;
  const scheme = schemeFor(source.host, source.scheme ?? (override ? original.scheme : undefined), options.insecure);
  if (scheme !== "http" && scheme !== "https")
    throw new InvalidStateReferenceError(address, `unsupported scheme ${scheme}`);
  if (!/^[a-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-f:]+\](?::\d{1,5})?$/i.test(source.host))
    throw new InvalidStateReferenceError(address, `bad host ${JSON.stringify(source.host)}`);
  return { registryUrl: `${scheme}://${source.host}`, host: source.host.toLowerCase() };
}

export function parseStateReference(value: string, options: StateReferenceOptions = {}): StateReference {
  const text = value.trim();
  const { path } = splitAddress(text);
  if (path === "") throw new InvalidStateReferenceError(value, "no repository after the host");
  let name = path;
  let digest: string | undefined;
  const at = name.indexOf("@");
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
    if (!isDigest(digest)) throw new InvalidStateReferenceError(value, "bad digest");
  }
  let tag: string | undefined;
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!isTag(tag)) throw new InvalidStateReferenceError(value, "bad tag");
  }
  if (!isRepositoryName(name)) throw new InvalidStateReferenceError(value, `bad repository ${JSON.stringify(name)}`);
  const { registryUrl, host } = resolveRegistryUrl(text, options);
  return { registryUrl, host, repository: name, reference: digest ?? tag ?? "latest", pinned: digest !== undefined };
}

/** The satellite's name from its state URL (`…/satellite-state/<name>/state…`), as the heartbeat reports it. */
export function satelliteNameFromStateUrl(value: string): string | undefined {
  return /\/satellite-state\/([^/]+)\/state(?:[:@]|$)/.exec(value)?.[1];
}
