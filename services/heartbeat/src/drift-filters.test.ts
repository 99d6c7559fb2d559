// The drift list's state filter is SQL (a superset of the candidates) followed by classifyDrift;
// its pages are keyset chunks with a bound on how many satellites one call examines. Over a mixed
// fleet (every combination of health, reported digest, images, errors, pending publish and
// overdue change, from a seeded generator), filtering by each state and paging with tiny chunks
// and budget must give exactly the satellites whose verdict is that state, in name order.
import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "@harbor-satellite/testkit/rng";
import { satelliteStateArtifacts } from "@harbor-satellite/db";
import { DriftState, Health } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { createDriftReader, type SatelliteDriftRecord } from "./drift-reader.js";
import type { DriftFilter } from "./drift-store.js";
import { PIN, startDriftWorld, type DriftWorld } from "./drift-testing.js";
import { clientAs, satellite } from "./testing.js";

const FLEET = 40;
const GROUPS = {
  web: [
    { repository: "apps/nginx", tags: ["1.27"] },
    { repository: "apps/alpine", tags: ["3.20"], digest: PIN("a") },
  ],
  tools: [{ repository: "apps/redis", tags: ["7"] }],
  pend: [{ repository: "apps/busybox", tags: ["1"] }],
};
const IMAGES = ["apps/nginx:1.27", "apps/alpine:3.20", "apps/redis:7", "apps/busybox:1"];

describe("drift list filters and paging over a mixed fleet", () => {
  let world: DriftWorld;
  let everyone: SatelliteDriftRecord[];

  beforeAll(async () => {
    world = await startDriftWorld();
    const { fleet } = world;
    // Seeded: the same fleet on every run.
    const rng = createRng(20260301);
    const rnd = rng.next;
    const pick = rng.pick;
    for (const [name, artifacts] of Object.entries(GROUPS)) await fleet.createGroup({ group: name, artifacts });
    const plans = Array.from({ length: FLEET }, (_, i) => ({
      name: `edge-${String(i).padStart(3, "0")}`,
      groups: Object.keys(GROUPS).filter(() => rnd() < 0.5),
      region: pick(["eu", "us"]),
      seen: pick(["never", "stale", "online", "online", "online"] as const),
      reported: pick(["current", "current", "other", "none"] as const),
      held: IMAGES.filter(() => rnd() < 0.8).map((image) => ({
        image,
        digest: image === "apps/alpine:3.20" && rnd() < 0.2 ? PIN("b") : PIN("1"),
      })),
      error: pick(["none", "none", "image", "stray"] as const),
      overdue: rnd() < 0.3,
    }));
    for (const p of plans) await fleet.createSatellite({ satellite: p.name, region: p.region, groups: p.groups });
    await world.publish();
    const overdue = plans.filter((p) => p.overdue).map((p) => p.name);
    await world.db
      .update(satelliteStateArtifacts)
      .set({ updatedAt: sql`now() - interval '1 hour'` })
      .where(inArray(satelliteStateArtifacts.satellite, overdue));
    const start = world.clock.now();
    for (const p of plans) {
      if (p.seen === "never") continue;
      world.clock.set(new Date(start.getTime() - (p.seen === "stale" ? 600_000 : 0)));
      const [row] = await world.db
        .select({ digest: satelliteStateArtifacts.manifestDigest })
        .from(satelliteStateArtifacts)
        .where(eq(satelliteStateArtifacts.satellite, p.name));
      await clientAs(world.heartbeat, satellite(p.name)).sync({
        satellite: p.name,
        latestStateDigest: p.reported === "current" ? row.digest : p.reported === "other" ? PIN("0") : "",
        cachedImages: p.held.map((h) => ({ reference: `10.1.1.1:8585/${h.image}@${h.digest}`, sizeBytes: 1n })),
        errors:
          p.error === "image"
            ? [{ reference: pick(IMAGES), message: "failed" }]
            : p.error === "stray"
              ? [{ reference: "https://gc/x", message: "refused" }]
              : [],
      });
    }
    world.clock.set(start);
    // Left unpublished: every satellite with `pend` has a change pending.
    await fleet.updateGroup({ group: "pend", artifacts: [{ repository: "apps/busybox", tags: ["1", "2"] }] });
    everyone = [];
    for await (const page of world.heartbeat.drift.scan()) everyone.push(...page);
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  const walk = async (filter: Partial<DriftFilter>, limit: number, options: { chunk: number; scanBudget: number }) => {
    const reader = createDriftReader(world.db, { now: world.clock.now, ...options });
    const full: DriftFilter = { state: DriftState.UNSPECIFIED, region: "", group: "", prefix: "", ...filter };
    const found: string[] = [];
    const sizes: number[] = [];
    let after: string | undefined;
    for (let calls = 0; calls < 1000; calls++) {
      const page = await reader.page(full, after, limit);
      expect(page.records.length).toBeLessThanOrEqual(limit);
      sizes.push(page.records.length);
      found.push(...page.records.map((r) => r.name));
      if (page.next === undefined) return { found, sizes };
      expect(after === undefined || page.next > after).toBe(true);
      after = page.next;
    }
    throw new Error("paging did not end");
  };

  it("scans every satellite once, in name order, with every state represented", () => {
    expect(everyone.map((r) => r.name)).toEqual(
      Array.from({ length: FLEET }, (_, i) => `edge-${String(i).padStart(3, "0")}`),
    );
    const states = new Set(everyone.map((r) => r.verdict.state));
    expect([...states].sort()).toEqual(
      [DriftState.IN_SYNC, DriftState.CONVERGING, DriftState.FAILING, DriftState.STALE, DriftState.NEVER_SEEN].sort(),
    );
  });

  for (const state of [
    DriftState.IN_SYNC,
    DriftState.CONVERGING,
    DriftState.FAILING,
    DriftState.STALE,
    DriftState.NEVER_SEEN,
  ]) {
    it(`filters ${DriftState[state]} exactly, whatever the page size, chunk and budget`, async () => {
      const expected = everyone.filter((r) => r.verdict.state === state).map((r) => r.name);
      for (const [limit, chunk, scanBudget] of [
        [100, 250, 2000],
        [4, 3, 7],
        [1, 1, 1],
      ]) {
        const { found } = await walk({ state }, limit, { chunk, scanBudget });
        expect(found, `limit ${limit}, chunk ${chunk}, budget ${scanBudget}`).toEqual(expected);
      }
    });
  }

  it("returns short pages with a cursor when the budget runs out before the page fills", async () => {
    const { found, sizes } = await walk({ state: DriftState.FAILING }, 10, { chunk: 2, scanBudget: 5 });
    expect(found).toEqual(everyone.filter((r) => r.verdict.state === DriftState.FAILING).map((r) => r.name));
    // FAILING's SQL candidates are the online satellites: five of them judged per call.
    const online = everyone.filter((r) => r.verdict.health === Health.ONLINE).length;
    expect(sizes.length).toBe(Math.ceil(online / 5));
    expect(sizes.every((n) => n <= 5)).toBe(true);
    expect(sizes.slice(0, -1).some((n) => n < 5)).toBe(true);
  });

  it("combines the state filter with region, group and prefix", async () => {
    const verdictOf = new Map(everyone.map((r) => [r.name, r]));
    const groupsOf = async (name: string) => (await world.fleet.getSatellite({ satellite: name })).satellite!.groups;
    for (const filter of [
      { state: DriftState.FAILING, region: "us" },
      { state: DriftState.IN_SYNC, group: "web" },
      { state: DriftState.CONVERGING, group: "pend", prefix: "edge-0" },
      { region: "eu", prefix: "edge-01" },
    ]) {
      const expected: string[] = [];
      for (const r of everyone) {
        if (filter.state !== undefined && r.verdict.state !== filter.state) continue;
        if (filter.region && verdictOf.get(r.name)!.region !== filter.region) continue;
        if (filter.group && !(await groupsOf(r.name)).includes(filter.group)) continue;
        if (filter.prefix && !r.name.startsWith(filter.prefix)) continue;
        expected.push(r.name);
      }
      const { found } = await walk(filter, 3, { chunk: 2, scanBudget: 4 });
      expect(found, JSON.stringify(filter)).toEqual(expected);
    }
  });
});
