// Which runtimes to point at the satellite, for which upstream registries: the original's
// repeatable `--mirrors CRI:reg1,reg2` flag (`--mirrors=containerd:docker.io,quay.io
// --mirrors=podman:docker.io`; `docker:true` means docker.io, the only registry dockerd mirrors).
// An upstream may carry its scheme and TLS options, which say how a runtime reaches it when it
// falls back past the satellite: `http://10.0.0.5:5000` (plain HTTP),
// `https://reg.corp:5000?ca=/etc/ssl/corp-ca.pem`, `https://reg.lab?skip_verify=true`.

export const RUNTIMES = ["containerd", "docker", "crio", "podman"] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

/** How a runtime reaches an upstream registry itself (the fallback past the satellite). */
export interface UpstreamOptions {
  scheme: "http" | "https";
  /** A CA bundle (PEM file) the upstream's certificate chains to. */
  ca?: string;
  skipVerify?: boolean;
}

export interface MirrorSpec {
  runtime: RuntimeName;
  /** Upstream registries as `host[:port]`: the name images are pulled by. */
  registries: string[];
  /** Per upstream, when it was given a scheme or options; otherwise https and the system CAs. */
  upstreams?: Record<string, UpstreamOptions>;
}

export class MirrorSpecError extends Error {
  constructor(value: string, reason: string) {
    super(
      `invalid --mirrors ${JSON.stringify(value)}: ${reason} (expected RUNTIME:REGISTRY[,REGISTRY…], e.g. containerd:docker.io,quay.io; runtimes: ${RUNTIMES.join(", ")})`,
    );
    this.name = "MirrorSpecError";
  }
}

const REGISTRY_HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d{1,5})?$/;

/** One upstream of a `--mirrors` value: `[http(s)://]host[:port][/][?ca=FILE&skip_verify=true]`. */
export function parseUpstream(raw: string, value: string): { host: string; options?: UpstreamOptions } {
  const query = raw.indexOf("?");
  const address = (query < 0 ? raw : raw.slice(0, query)).toLowerCase();
  const scheme = /^(https?):\/\//.exec(address)?.[1] as UpstreamOptions["scheme"] | undefined;
  const host = address.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  if (!REGISTRY_HOST.test(host)) throw new MirrorSpecError(value, `bad registry ${JSON.stringify(host)}`);
  if (query < 0 && scheme === undefined) return { host };
  const options: UpstreamOptions = { scheme: scheme ?? "https" };
  for (const [key, v] of new URLSearchParams(query < 0 ? "" : raw.slice(query + 1))) {
    if (key === "ca" && v.startsWith("/")) options.ca = v;
    else if (key === "skip_verify" && (v === "true" || v === "")) options.skipVerify = true;
    else if (key === "skip_verify" && v === "false") options.skipVerify = false;
    else
      throw new MirrorSpecError(
        value,
        `bad option ${JSON.stringify(`${key}=${v}`)} for ${host} (ca=/absolute/file.pem, skip_verify=true)`,
      );
  }
  if (options.scheme === "http" && (options.ca !== undefined || options.skipVerify))
    throw new MirrorSpecError(value, `${host}: ca and skip_verify apply to https:// upstreams only`);
  return { host, options };
}

/** Parses every `--mirrors` value; a runtime named twice gets the union of its registries. */
export function parseMirrorFlags(values: readonly string[]): MirrorSpec[] {
  const byRuntime = new Map<RuntimeName, MirrorSpec>();
  for (const raw of values) {
    const value = raw.trim();
    const colon = value.indexOf(":");
    if (colon <= 0) throw new MirrorSpecError(raw, "missing RUNTIME:");
    const runtime = value.slice(0, colon).toLowerCase() as RuntimeName;
    if (!RUNTIMES.includes(runtime))
      throw new MirrorSpecError(raw, `unknown runtime ${JSON.stringify(value.slice(0, colon))}`);
    let entries = value
      .slice(colon + 1)
      .split(",")
      .map((r) => r.trim())
      .filter((r) => r !== "");
    if (runtime === "docker" && entries.length === 1 && entries[0].toLowerCase() === "true") entries = ["docker.io"];
    if (entries.length === 0) throw new MirrorSpecError(raw, "no registry");
    const parsed = entries.map((entry) => parseUpstream(entry, raw));
    if (runtime === "docker" && parsed.some((r) => r.host !== "docker.io" || r.options))
      throw new MirrorSpecError(raw, "dockerd can mirror docker.io only");
    const spec = byRuntime.get(runtime) ?? { runtime, registries: [] };
    for (const { host, options } of parsed) {
      if (!spec.registries.includes(host)) spec.registries.push(host);
      if (options) spec.upstreams = { ...spec.upstreams, [host]: options };
    }
    byRuntime.set(runtime, spec);
  }
  return [...byRuntime.values()];
}

/** The mirror as runtimes need it: `http://host:port` (plain HTTP unless an https URL is given). */
export function mirrorEndpoint(address: string): { url: string; host: string; insecure: boolean } {
  const withScheme = /^https?:\/\//i.test(address) ? address : `http://${address}`;
  const url = new URL(withScheme);
  // 0.0.0.0 is where the satellite listens, not an address a client can dial.
  const hostname = url.hostname === "0.0.0.0" ? "127.0.0.1" : url.hostname;
  const host = `${hostname}${url.port ? `:${url.port}` : ""}`;
  return { url: `${url.protocol}//${host}`, host, insecure: url.protocol === "http:" };
}
