// Which runtimes to point at the satellite, for which upstream registries: the original's
// repeatable `--mirrors CRI:reg1,reg2` flag (`--mirrors=containerd:docker.io,quay.io
// --mirrors=podman:docker.io`; `docker:true` means docker.io, the only registry dockerd mirrors).

export const RUNTIMES = ["containerd", "docker", "crio", "podman"] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

export interface MirrorSpec {
  runtime: RuntimeName;
  registries: string[];
}

export class MirrorSpecError extends Error {
  constructor(value: string, reason: string) {
    super(`invalid --mirrors ${JSON.stringify(value)}: ${reason} (expected RUNTIME:REGISTRY[,REGISTRY…], e.g. containerd:docker.io,quay.io; runtimes: ${RUNTIMES.join(", ")})`);
    this.name = "MirrorSpecError";
  }
}

const REGISTRY_HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d{1,5})?$/;

/** Parses every `--mirrors` value; a runtime named twice gets the union of its registries. */
export function parseMirrorFlags(values: readonly string[]): MirrorSpec[] {
  const byRuntime = new Map<RuntimeName, string[]>();
  for (const raw of values) {
    const value = raw.trim();
    const colon = value.indexOf(":");
    if (colon <= 0) throw new MirrorSpecError(raw, "missing RUNTIME:");
    const runtime = value.slice(0, colon).toLowerCase() as RuntimeName;
    if (!RUNTIMES.includes(runtime)) throw new MirrorSpecError(raw, `unknown runtime ${JSON.stringify(value.slice(0, colon))}`);
    let registries = value
      .slice(colon + 1)
      .split(",")
      .map((r) => r.trim().toLowerCase().replace(/^https?:\/\//, "").replace(/\/+$/, ""))
      .filter((r) => r !== "");
    if (runtime === "docker" && registries.length === 1 && registries[0] === "true") registries = ["docker.io"];
    if (registries.length === 0) throw new MirrorSpecError(raw, "no registry");
    const bad = registries.find((r) => !REGISTRY_HOST.test(r));
    if (bad) throw new MirrorSpecError(raw, `bad registry ${JSON.stringify(bad)}`);
    if (runtime === "docker" && registries.some((r) => r !== "docker.io")) throw new MirrorSpecError(raw, "dockerd can mirror docker.io only");
    const list = byRuntime.get(runtime) ?? [];
    for (const r of registries) if (!list.includes(r)) list.push(r);
    byRuntime.set(runtime, list);
  }
  return [...byRuntime].map(([runtime, registries]) => ({ runtime, registries }));
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
