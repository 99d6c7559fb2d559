// CRI-O and podman share containers-registries.conf(5) (`/etc/containers/registries.conf`, TOML
// v2): each upstream gets a `[[registry]]` with `location = <registry>` and the satellite as its
// first `[[registry.mirror]]`, `insecure = true` when the mirror is plain HTTP. Other registries,
// search lists and aliases are kept. The v1 format ([registries.search] …) cannot be mixed with
// v2, so such a file is refused rather than broken. podman reads the file on each run; CRI-O on
// reload (SIGHUP). An upstream given as `http://…` or with skip_verify gets `insecure = true` on its
// own [[registry]] (the fallback past the satellite); a CA file cannot be named in this file (the
// containers tools read /etc/containers/certs.d/<host>/*.crt), so a note says where it goes.
import { parse, stringify } from "smol-toml";
import { editFile } from "./config-file-edit.js";
import { mirrorEndpoint, type RuntimeName, type UpstreamOptions } from "./mirror-spec.js";
import { RuntimeConfigError, type RuntimeResult } from "./runtime-result.js";

export const CONTAINERS_DEFAULTS = { registriesConfPath: "/etc/containers/registries.conf" };

export interface ContainersMirrorOptions {
  runtime: Extract<RuntimeName, "crio" | "podman">;
  registries: readonly string[];
  upstreams?: Readonly<Record<string, UpstreamOptions>>;
  mirror: string;
  registriesConfPath?: string;
  now?: Date;
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table =>
  v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date);

export function planRegistriesConf(
  text: string | undefined,
  path: string,
  runtime: ContainersMirrorOptions["runtime"],
  registries: readonly string[],
  mirror: string,
  upstreams: Readonly<Record<string, UpstreamOptions>> = {},
): string | undefined {
  let conf: Table = {};
  if (text !== undefined && text.trim() !== "") {
    try {
      conf = parse(text) as Table;
    } catch (error) {
      throw new RuntimeConfigError(runtime, path, `not valid TOML: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  if (isTable(conf.registries))
    throw new RuntimeConfigError(
      runtime,
      path,
      "uses the v1 format ([registries.search]); convert it to v2 ([[registry]]) first",
    );
  if (conf.registry !== undefined && !Array.isArray(conf.registry))
    throw new RuntimeConfigError(runtime, path, "registry is not an array of tables");
  const endpoint = mirrorEndpoint(mirror);
  const list = ((conf.registry as Table[] | undefined) ?? []).map((r) => ({ ...r }));
  let changed = false;
  for (const registry of registries) {
    let entry = list.find((r) => r.location === registry || (r.location === undefined && r.prefix === registry));
    if (!entry) {
      entry = { location: registry };
      list.push(entry);
      changed = true;
    }
    const upstream = upstreams[registry];
    if (upstream) {
      const insecure = upstream.scheme === "http" || upstream.skipVerify === true;
      if (entry.insecure !== insecure && !(entry.insecure === undefined && !insecure)) {
        if (insecure) entry.insecure = true;
        else delete entry.insecure;
        changed = true;
      }
    }
    const mirrors = Array.isArray(entry.mirror) ? (entry.mirror as Table[]) : [];
    const first = mirrors[0];
    if (first?.location === endpoint.host && first.insecure === endpoint.insecure) continue;
    entry.mirror = [
      { location: endpoint.host, insecure: endpoint.insecure },
      ...mirrors.filter((m) => m.location !== endpoint.host),
    ];
    changed = true;
  }
  if (!changed) return undefined;
  return stringify({ ...conf, registry: list }) + "\n";
}

export async function configureContainersRegistries(options: ContainersMirrorOptions): Promise<RuntimeResult> {
  const path = options.registriesConfPath ?? CONTAINERS_DEFAULTS.registriesConfPath;
  const edit = await editFile(
    path,
    (text) => planRegistriesConf(text, path, options.runtime, options.registries, options.mirror, options.upstreams),
    options.now ?? new Date(),
  );
  const notes =
    edit.changed && options.runtime === "crio" ? ["reload CRI-O to apply: systemctl reload crio (SIGHUP)"] : [];
  for (const [host, upstream] of Object.entries(options.upstreams ?? {})) {
    if (upstream.ca !== undefined)
      notes.push(
        `${options.runtime} reads ${host}'s CA from /etc/containers/certs.d/${host}/*.crt: copy ${upstream.ca} there`,
      );
  }
  return {
    runtime: options.runtime,
    files: [edit],
    restartRequired: edit.changed && options.runtime === "crio",
    notes,
  };
}
