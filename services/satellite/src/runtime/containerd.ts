// containerd: a `hosts.toml` per upstream registry under the certs.d folder, listing the
// satellite first, and `config_path` in config.toml pointing at that folder. Handles both
// config layouts (the original only knew the second):
//   containerd 1.x, config version 2: [plugins."io.containerd.grpc.v1.cri".registry] config_path
//   containerd 2.x, config version 3: [plugins."io.containerd.cri.v1.images".registry] config_path
// (and version 1's [plugins.cri.registry]). An existing config_path is respected: the hosts files
// go where containerd already looks. hosts.toml is read on every pull, so only a config.toml
// change needs a containerd restart, which is left to the operator.
// `server` is where containerd falls back when the satellite lacks an image or is down:
// `https://<registry>` unless the upstream was given a scheme (`http://…` for a plain-HTTP
// upstream) or TLS options (`ca`, `skip_verify`, which containerd applies to the server).
// The satellite's own host entry gets `ca` and an `Authorization` header when its registry has
// TLS and read credentials (mirror-access.ts).
import { join } from "node:path";
import { parse, stringify } from "smol-toml";
import { isDeepStrictEqual } from "node:util";
import { readOptional } from "../fs/read-optional.js";
import { editFile, type FileEdit } from "./config-file-edit.js";
import type { MirrorAccess } from "./mirror-access.js";
import { mirrorEndpoint, type UpstreamOptions } from "./mirror-spec.js";
import { RuntimeConfigError, type RuntimeResult } from "./runtime-result.js";

export const CONTAINERD_DEFAULTS = { configPath: "/etc/containerd/config.toml", certsDir: "/etc/containerd/certs.d" };

export interface ContainerdMirrorOptions {
  registries: readonly string[];
  /** Scheme and TLS options of the upstreams that were given them. */
  upstreams?: Readonly<Record<string, UpstreamOptions>>;
  /** The satellite's registry, `host:port`, `http://host:port` or `https://host:port`. */
  mirror: string;
  /** The satellite's CA and a reader's Authorization header, written on its host entry. */
  mirrorAccess?: MirrorAccess;
  configPath?: string;
  certsDir?: string;
  /** containerd's major version, when known: picks the layout for a config.toml that does not exist yet. */
  majorVersion?: number;
  now?: Date;
}

type Table = Record<string, unknown>;

const isTable = (v: unknown): v is Table =>
  v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date);

function parseToml(text: string | undefined, path: string): Table {
  if (text === undefined || text.trim() === "") return {};
  try {
    return parse(text) as Table;
  } catch (error) {
    throw new RuntimeConfigError("containerd", path, `not valid TOML: ${(error as Error).message.split("\n")[0]}`);
  }
}

/** The plugin table path holding `registry` for a config version. */
export function registryPluginPath(version: number): string[] {
  if (version >= 3) return ["plugins", "io.containerd.cri.v1.images"];
  if (version === 2) return ["plugins", "io.containerd.grpc.v1.cri"];
  return ["plugins", "cri"];
}

function tableAt(root: Table, path: readonly string[], create: boolean): Table | undefined {
  let node = root;
  for (const key of path) {
    if (!isTable(node[key])) {
      if (!create) return undefined;
      node[key] = {};
    }
    node = node[key] as Table;
  }
  return node;
}

/**
 * Returns the certs.d folder containerd will use, and the new config.toml text (undefined when
 * it already points somewhere).
 */
export function planContainerdConfig(
  text: string | undefined,
  configPath: string,
  certsDir: string,
  majorVersion?: number,
): { certsDir: string; next?: string } {
  const config = parseToml(text, configPath);
  const declared = config.version;
  const version =
    typeof declared === "number"
      ? declared
      : text === undefined || text.trim() === ""
        ? majorVersion !== undefined && majorVersion >= 2
          ? 3
          : 2
        : 1;
  if (config.version === undefined && version >= 2) config.version = version;
  const registry = tableAt(config, [...registryPluginPath(version), "registry"], true)!;
  for (const legacy of ["mirrors", "configs"]) {
    if (isTable(registry[legacy]) && Object.keys(registry[legacy] as Table).length > 0) {
      throw new RuntimeConfigError(
        "containerd",
        configPath,
        `registry.${legacy} is set; containerd refuses config_path alongside it — move those settings into hosts.toml files first`,
      );
    }
  }
  const existing =
    typeof registry.config_path === "string" ? registry.config_path.split(":").find((p) => p.trim() !== "") : undefined;
  if (existing) return { certsDir: existing };
  registry.config_path = certsDir;
  return { certsDir, next: stringify(config) + "\n" };
}

/**
 * New hosts.toml text with the mirror as the first host, other hosts kept; undefined when already
 * so. Without `upstream` options an existing server (and its TLS keys) is kept; with them, the
 * server and its `ca`/`skip_verify` are what the options say.
 */
export function planHostsToml(
  text: string | undefined,
  path: string,
  registry: string,
  mirror: string,
  upstream?: UpstreamOptions,
  access?: MirrorAccess,
): string | undefined {
  const hosts = parseToml(text, path);
  const endpoint = mirrorEndpoint(mirror);
  const current = isTable(hosts.host) ? (hosts.host as Table) : {};
  const ours: Table = {
    ...(isTable(current[endpoint.url]) ? (current[endpoint.url] as Table) : {}),
    capabilities: ["pull", "resolve"],
  };
  // Ours: what we last wrote is replaced by what the flags say now.
  delete ours.ca;
  if (access?.ca !== undefined) ours.ca = access.ca;
  const header = isTable(ours.header) ? { ...(ours.header as Table) } : {};
  delete header.Authorization;
  if (access?.authorization !== undefined) header.Authorization = [access.authorization];
  if (Object.keys(header).length > 0) ours.header = header;
  else delete ours.header;
  const next: Table = { ...hosts, server: typeof hosts.server === "string" ? hosts.server : `https://${registry}` };
  if (upstream) {
    next.server = `${upstream.scheme}://${registry}`;
    delete next.ca;
    delete next.skip_verify;
    if (upstream.ca !== undefined) next.ca = upstream.ca;
    if (upstream.skipVerify) next.skip_verify = true;
  }
  next.host = {
    [endpoint.url]: ours,
    ...Object.fromEntries(Object.entries(current).filter(([k]) => k !== endpoint.url)),
  };
  // Through JSON: smol-toml's tables and ours differ in prototype, which isDeepStrictEqual counts.
  const plain = (value: Table) => JSON.parse(JSON.stringify(value)) as unknown;
  const unchanged = isDeepStrictEqual(plain(next), plain(hosts)) && Object.keys(current)[0] === endpoint.url;
  return unchanged ? undefined : stringify(next) + "\n";
}

export async function configureContainerd(options: ContainerdMirrorOptions): Promise<RuntimeResult> {
  const configPath = options.configPath ?? CONTAINERD_DEFAULTS.configPath;
  const now = options.now ?? new Date();
  const planned = planContainerdConfig(
    await readOptional(configPath),
    configPath,
    options.certsDir ?? CONTAINERD_DEFAULTS.certsDir,
    options.majorVersion,
  );
  const files: FileEdit[] = [];
  for (const registry of options.registries) {
    const hostsPath = join(planned.certsDir, registry, "hosts.toml");
    // A file holding a reader's credentials is created readable by root only.
    const mode = options.mirrorAccess?.authorization ? 0o600 : 0o644;
    files.push(
      await editFile(
        hostsPath,
        (text) =>
          planHostsToml(text, hostsPath, registry, options.mirror, options.upstreams?.[registry], options.mirrorAccess),
        now,
        mode,
      ),
    );
  }
  const configEdit = await editFile(configPath, () => planned.next, now);
  files.push(configEdit);
  const notes = configEdit.changed ? [`restart containerd to load config_path=${planned.certsDir}`] : [];
  return { runtime: "containerd", files, restartRequired: configEdit.changed, notes };
}
