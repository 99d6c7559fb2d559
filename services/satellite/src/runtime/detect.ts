// Which container runtimes this machine has, found by their API socket or their binary, as the
// original's detect.go does. Sockets and the binary search path are parameters so tests use a
// temp dir; the defaults are the standard locations.
import { access, stat } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { RUNTIMES, type RuntimeName } from "./mirror-spec.js";

export interface DetectOptions {
  sockets?: Partial<Record<RuntimeName, readonly string[]>>;
  binaries?: Partial<Record<RuntimeName, readonly string[]>>;
  /** Folders searched for binaries (default: $PATH). */
  searchPath?: readonly string[];
}

export const DEFAULT_SOCKETS: Record<RuntimeName, readonly string[]> = {
  containerd: [
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/run/k3s/containerd/containerd.sock",
  ],
  docker: ["/var/run/docker.sock", "/run/docker.sock"],
  crio: ["/var/run/crio/crio.sock", "/run/crio/crio.sock"],
  podman: ["/run/podman/podman.sock"],
};

export const DEFAULT_BINARIES: Record<RuntimeName, readonly string[]> = {
  containerd: ["containerd"],
  docker: ["dockerd"],
  crio: ["crio"],
  podman: ["podman"],
};

export interface DetectedRuntime {
  runtime: RuntimeName;
  /** The socket or binary that gave it away. */
  evidence: string;
}

async function isSocket(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isSocket();
  } catch {
    return false;
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, 1 /* X_OK */);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function detectRuntimes(options: DetectOptions = {}): Promise<DetectedRuntime[]> {
  const searchPath = options.searchPath ?? (process.env.PATH ?? "").split(delimiter).filter((p) => p !== "");
  const found: DetectedRuntime[] = [];
  for (const runtime of RUNTIMES) {
    const sockets = options.sockets?.[runtime] ?? DEFAULT_SOCKETS[runtime];
    const binaries = options.binaries?.[runtime] ?? DEFAULT_BINARIES[runtime];
    let evidence: string | undefined;
    for (const socket of sockets) if (!evidence && (await isSocket(socket))) evidence = socket;
    for (const binary of binaries)
      for (const dir of searchPath)
        if (!evidence && (await isExecutable(join(dir, binary)))) evidence = join(dir, binary);
    if (evidence) found.push({ runtime, evidence });
  }
  return found;
}
