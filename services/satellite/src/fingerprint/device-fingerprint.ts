// The device fingerprint the config at rest is bound to, computed as the original does
// (`identity/device_linux.go`): hex SHA-256 of `machine-id|first up non-loopback MAC|first disk
// serial`, joining whichever of the three exist. Where each comes from is a parameter, so tests
// build a fake /etc and /sys in a temp dir; production uses the real paths.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export interface FingerprintSources {
  /** Tried in order; the first non-empty one wins. */
  machineIdPaths?: readonly string[];
  /** Folder of network interfaces (`/sys/class/net`). */
  netDir?: string;
  /** Folder of block devices (`/sys/class/block`). */
  blockDir?: string;
}

export interface DeviceIdentity {
  machineId?: string;
  mac?: string;
  diskSerial?: string;
}

export class NoFingerprintSourceError extends Error {
  constructor() {
    super(
      "no device identity found (no machine-id, no up non-loopback network interface, no disk serial): cannot bind the config to this device",
    );
    this.name = "NoFingerprintSourceError";
  }
}

export const DEFAULT_SOURCES: Required<FingerprintSources> = {
  machineIdPaths: ["/etc/machine-id", "/var/lib/dbus/machine-id"],
  netDir: "/sys/class/net",
  blockDir: "/sys/class/block",
};

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const DISK_PREFIXES = ["sd", "nvme", "vd", "mmcblk"];

async function readTrimmed(path: string): Promise<string | undefined> {
  try {
    const text = (await readFile(path, "utf8")).trim();
    return text === "" ? undefined : text;
  } catch {
    return undefined;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function readMachineId(paths: readonly string[]): Promise<string | undefined> {
  for (const path of paths) {
    const id = await readTrimmed(path);
    if (id) return id;
  }
  return undefined;
}

/** The MAC of the first interface (by ifindex, as Go's net.Interfaces orders them) that is up and not loopback. */
async function readFirstMac(netDir: string): Promise<string | undefined> {
  const candidates: { index: number; name: string; mac: string }[] = [];
  for (const name of await list(netDir)) {
    const flags = Number.parseInt((await readTrimmed(join(netDir, name, "flags"))) ?? "0", 16);
    const mac = (await readTrimmed(join(netDir, name, "address")))?.toLowerCase();
    if (!(flags & IFF_UP) || flags & IFF_LOOPBACK || !mac || /^[0:]*$/.test(mac)) continue;
    const index = Number((await readTrimmed(join(netDir, name, "ifindex"))) ?? Number.MAX_SAFE_INTEGER);
    candidates.push({ index, name, mac });
  }
  candidates.sort((a, b) => a.index - b.index || a.name.localeCompare(b.name));
  return candidates[0]?.mac;
}

async function readFirstDiskSerial(blockDir: string): Promise<string | undefined> {
  const disks = (await list(blockDir)).filter((name) => DISK_PREFIXES.some((p) => name.startsWith(p))).sort();
  for (const disk of disks) {
    const serial = await readTrimmed(join(blockDir, disk, "device", "serial"));
    if (serial) return serial;
  }
  return undefined;
}

export async function readDeviceIdentity(sources: FingerprintSources = {}): Promise<DeviceIdentity> {
  const s = { ...DEFAULT_SOURCES, ...sources };
  const [machineId, mac, diskSerial] = await Promise.all([
    readMachineId(s.machineIdPaths),
    readFirstMac(s.netDir),
    readFirstDiskSerial(s.blockDir),
  ]);
  return { machineId, mac, diskSerial };
}

/** Hex SHA-256 of the parts that exist, joined with `|`. Throws NoFingerprintSourceError when none does. */
export function fingerprintOf(identity: DeviceIdentity): string {
  const parts = [identity.machineId, identity.mac, identity.diskSerial].filter(
    (p): p is string => p !== undefined && p !== "",
  );
  if (parts.length === 0) throw new NoFingerprintSourceError();
  return createHash("sha256").update(parts.join("|")).digest("hex");
}

export async function deviceFingerprint(sources: FingerprintSources = {}): Promise<string> {
  return fingerprintOf(await readDeviceIdentity(sources));
}
