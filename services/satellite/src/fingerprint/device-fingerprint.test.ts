import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  deviceFingerprint,
  fingerprintOf,
  NoFingerprintSourceError,
  readDeviceIdentity,
  type FingerprintSources,
} from "./device-fingerprint.js";

let root: string;
let sources: FingerprintSources;

async function put(path: string, content: string): Promise<void> {
  await mkdir(join(root, path, ".."), { recursive: true });
  await writeFile(join(root, path), content);
}

async function iface(name: string, index: number, flags: string, mac: string): Promise<void> {
  await put(`sys/class/net/${name}/flags`, `${flags}\n`);
  await put(`sys/class/net/${name}/address`, `${mac}\n`);
  await put(`sys/class/net/${name}/ifindex`, `${index}\n`);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "hs-fp-"));
  sources = {
    machineIdPaths: [join(root, "etc/machine-id")],
    netDir: join(root, "sys/class/net"),
    blockDir: join(root, "sys/class/block"),
  };
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("device fingerprint", () => {
  it("hashes machine-id|first up non-loopback MAC|first disk serial", async () => {
    await put("etc/machine-id", "0123456789abcdef\n");
    await iface("lo", 1, "0x9", "00:00:00:00:00:00");
    await iface("eth1", 3, "0x1003", "AA:BB:CC:00:00:03");
    await iface("eth0", 2, "0x1003", "aa:bb:cc:00:00:02");
    await iface("eth2", 1, "0x1002", "aa:bb:cc:00:00:09"); // down
    await put("sys/class/block/loop0/device/serial", "LOOP");
    await put("sys/class/block/sda1/size", "1");
    await put("sys/class/block/nvme0n1/device/serial", "  NVME-SERIAL  \n");
    await put("sys/class/block/sdb/device/serial", "SDB-SERIAL");
    expect(await readDeviceIdentity(sources)).toEqual({
      machineId: "0123456789abcdef",
      mac: "aa:bb:cc:00:00:02",
      diskSerial: "NVME-SERIAL",
    });
    expect(await deviceFingerprint(sources)).toBe(sha("0123456789abcdef|aa:bb:cc:00:00:02|NVME-SERIAL"));
  });

  it("joins whichever sources exist", async () => {
    await iface("wlan0", 4, "0x1003", "de:ad:be:ef:00:01");
    expect(await deviceFingerprint(sources)).toBe(sha("de:ad:be:ef:00:01"));
    expect(fingerprintOf({ machineId: "m", diskSerial: "d" })).toBe(sha("m|d"));
  });

  it("is stable across reads and changes when the hardware does", async () => {
    await put("etc/machine-id", "abc");
    const first = await deviceFingerprint(sources);
    expect(await deviceFingerprint(sources)).toBe(first);
    await put("etc/machine-id", "abd");
    expect(await deviceFingerprint(sources)).not.toBe(first);
  });

  it("refuses to bind to nothing", async () => {
    await expect(deviceFingerprint(sources)).rejects.toThrow(NoFingerprintSourceError);
  });
});
