import { link, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { SyncRequestSchema } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCpuSampler, readCpuTimes, type CpuTimes } from "./cpu-sampler.js";
import { directoryUsage } from "./disk-usage.js";
import { memoryUsedBytes } from "./memory.js";
import { createMetricsCollector } from "./metrics-collector.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-metrics-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("cpu sampler", () => {
  it("reports busy share of all cores between samples, without waiting", () => {
    const readings: CpuTimes[] = [
      { busy: 1_000, total: 10_000 },
      { busy: 1_500, total: 11_000 },
      { busy: 1_500, total: 12_000 },
      { busy: 2_500, total: 13_000 },
      { busy: 2_400, total: 12_900 },
    ];
    let i = 0;
    const sampler = createCpuSampler(() => readings[i++]);
    expect([sampler.sample(), sampler.sample(), sampler.sample(), sampler.sample()]).toEqual([50, 0, 100, 0]);
  });

  it("reads real counters within range", () => {
    const times = readCpuTimes();
    expect(times.total).toBeGreaterThanOrEqual(times.busy);
    const value = createCpuSampler().sample();
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(100);
  });
});

describe("memory and storage", () => {
  it("memory used is total minus available", () => {
    expect(memoryUsedBytes({ total: () => 8_000, available: () => 3_000 })).toBe(5_000);
  });

  it("counts allocated blocks of the data dir, each hard link once", async () => {
    await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
    await writeFile(join(dir, "blobs", "sha256", "a"), Buffer.alloc(100_000, 1));
    const one = await directoryUsage(dir);
    await link(join(dir, "blobs", "sha256", "a"), join(dir, "linked"));
    expect(await directoryUsage(dir)).toBe(one);
    await writeFile(join(dir, "b"), Buffer.alloc(50_000, 1));
    expect(await directoryUsage(dir)).toBeGreaterThanOrEqual(one + 50_000);
    expect(await directoryUsage(join(dir, "missing"))).toBe(0);
  });
});

describe("metrics collector", () => {
  it("fills the SyncRequest fields, and zeroes what config switches off", async () => {
    let switches = { collect_cpu: true, collect_memory: true, collect_storage: true };
    const collector = createMetricsCollector({
      dataDir: dir,
      switches: () => switches,
      cpu: { sample: () => 12.345 },
      memory: () => 4096,
      storage: async () => 1 << 20,
    });
    const metrics = await collector.collect();
    expect(metrics).toEqual({ cpuPercent: 12.35, memoryUsedBytes: 4096n, storageUsedBytes: 1048576n });
    const request = create(SyncRequestSchema, { name: "edge-1", ...metrics });
    expect(request.storageUsedBytes).toBe(1048576n);
    switches = { collect_cpu: false, collect_memory: true, collect_storage: false };
    expect(await collector.collect()).toEqual({ cpuPercent: 0, memoryUsedBytes: 4096n, storageUsedBytes: 0n });
  });

  it("walks the data dir by default", async () => {
    await writeFile(join(dir, "x"), Buffer.alloc(10_000, 1));
    const metrics = await createMetricsCollector({ dataDir: dir }).collect();
    expect(metrics.storageUsedBytes).toBeGreaterThanOrEqual(10_000n);
    expect(metrics.memoryUsedBytes).toBeGreaterThan(0n);
  });
});
