// Tag filters through the fleet service: what CreateGroup/UpdateGroup accept and refuse, the
// concrete group state the publisher writes, a filter matching nothing, and the watcher queuing
// a group again when Harbor's tags change (with the satellite-state cascade that follows).
import { Code, type Client } from "@connectrpc/connect";
import type { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestFleet, type TestFleet } from "../test-fleet.js";
import { satellites } from "@harbor-satellite/db";
import { createLogger } from "@harbor-satellite/telemetry";
import { eq } from "drizzle-orm";
import { readDesiredStates } from "../desired-state-query.js";
import { failure } from "../testing.js";
import { createTagFilterWatcher } from "./tag-filter-watcher.js";

const digest = (n: number) => `sha256:${String(n).padStart(64, "0")}`;
const web = { repository: "apps/web", semverRange: ">=1.2 <2", newestCount: 2 };

describe("group tag filters", () => {
  let t: TestFleet;
  let fleet: Client<typeof FleetService>;
  let clock = 0;
  const push = (repository: string, name: string, n: number) => {
    const tags = t.registry.repositoryTags.get(repository) ?? [];
    t.registry.repositoryTags.set(repository, [
      ...tags.filter((x) => x.name !== name),
      { name, digest: digest(n), pushTime: new Date(++clock * 1000) },
    ]);
  };
  const publishedTags = async (group: string) => {
    await t.module.publisher.flush();
    return t.registry.groupStates.get(group)?.artifacts.map((a) => `${a.repository}:${a.tags.join(",")}@${a.digest}`);
  };

  beforeAll(async () => {
    t = await startTestFleet();
    fleet = t.fleet;
    for (const [name, n] of [
      ["1.1.0", 1],
      ["1.2.0", 2],
      ["1.2.1", 3],
      ["2.0.0", 4],
      ["latest", 4],
    ] as const)
      push("apps/web", name, n);
  });
  afterAll(async () => t?.close());

  it("stores the filter as given, returns it, and publishes the concrete newest tags pinned to their digests", async () => {
    const { group } = await fleet.createGroup({ group: "web", artifacts: [web] });
    expect(group?.artifacts).toMatchObject([{ ...web, tags: [], digest: "" }]);
    expect(await publishedTags("web")).toEqual([`apps/web:1.2.1@${digest(3)}`, `apps/web:1.2.0@${digest(2)}`]);
    const read = await fleet.getGroup({ group: "web" });
    expect(read.group?.artifacts[0]).toMatchObject({ semverRange: ">=1.2 <2", newestCount: 2, tagRegex: "" });
  });

  it.each([
    [{ repository: "apps/x", tagRegex: "(" }, /^artifacts\[0\]\.tag_regex "\(" is not an RE2 regular expression/],
    [{ repository: "apps/x", tagRegex: "^(?!v)" }, /^artifacts\[0\]\.tag_regex .* is not an RE2 regular expression/],
    [
      { repository: "apps/x", semverRange: ">=banana" },
      /^artifacts\[0\]\.semver_range ">=banana" is not a semver range/,
    ],
    [
      { repository: "apps/x", semverRange: "^1", newestCount: 0 },
      /^artifacts\[0\]\.newest_count 0 must be between 1 and 100$/,
    ],
    [{ repository: "apps/x", tagRegex: ".", newestCount: -1 }, /^artifacts\[0\]\.newest_count -1 must be/],
    [{ repository: "apps/x", tags: ["1"], newestCount: 3 }, /^artifacts\[0\]\.newest_count needs a tag filter/],
    [{ repository: "apps/x", semverRange: "^1", digest: digest(9) }, /^artifacts\[0\]\.digest cannot be combined/],
    [
      { repository: "apps/x" },
      /^artifacts\[0\]\.tags must name at least one tag \(or give tag_regex or semver_range\)$/,
    ],
  ])("refuses %j with InvalidArgument and changes nothing", async (artifact, message) => {
    const before = await fleet.getGroup({ group: "web" });
    const created = await failure(fleet.createGroup({ group: "bad", artifacts: [artifact] }));
    expect(created.code).toBe(Code.InvalidArgument);
    expect(created.message).toMatch(message);
    expect((await failure(fleet.getGroup({ group: "bad" }))).code).toBe(Code.NotFound);
    const updated = await failure(fleet.updateGroup({ group: "web", artifacts: [artifact] }));
    expect(updated).toEqual(created);
    expect((await fleet.getGroup({ group: "web" })).group?.artifacts).toEqual(before.group?.artifacts);
  });

  it("re-resolves when Harbor's tags change: the watcher queues the group, its state and its satellites' states are republished", async () => {
    await fleet.createSatellite({ satellite: "edge-1", groups: ["web"] });
    await t.module.publisher.flush();
    await t.module.tagFilters.check(); // first pass of this process: sees (and queues) every filtered group once
    await t.module.publisher.flush();
    const pinned = t.registry.satellitePins.get("edge-1")?.groups.web;
    expect(await t.module.tagFilters.check()).toEqual([]); // nothing changed in Harbor

    push("apps/web", "1.3.0", 5);
    push("apps/web", "3.0.0", 6); // outside the range
    expect(await t.module.tagFilters.check()).toEqual(["web"]);
    expect(await publishedTags("web")).toEqual([`apps/web:1.3.0@${digest(5)}`, `apps/web:1.2.1@${digest(3)}`]);
    const repinned = t.registry.satellitePins.get("edge-1")?.groups.web;
    expect(repinned).toBe(t.registry.digests.get("group web"));
    expect(repinned).not.toBe(pinned);
    expect(await t.module.tagFilters.check()).toEqual([]);

    // A tag moved to another digest is a change too.
    push("apps/web", "1.3.0", 7);
    expect(await t.module.tagFilters.check()).toEqual(["web"]);
    expect(await publishedTags("web")).toEqual([`apps/web:1.3.0@${digest(7)}`, `apps/web:1.2.1@${digest(3)}`]);
  });

  it("reports a filter that matches nothing: no state is published, the outbox row says why, and the first matching tag publishes it", async () => {
    push("apps/api", "0.9.0", 10);
    await fleet.createGroup({ group: "api", artifacts: [{ repository: "apps/api", semverRange: "^1" }] });
    await t.module.publisher.flush();
    expect(t.registry.groupStates.has("api")).toBe(false);
    const pending = (await t.module.store.outbox.pending()).find((r) => r.subject === "api");
    expect(pending?.lastError).toBe(
      'group api: no tag of apps/api matches semver_range "^1", newest 1 (1 tags in Harbor); ' +
        "its group state is not published until one does, and satellites keep the last published one",
    );
    expect(await t.module.tagFilters.check()).toEqual([]);

    push("apps/api", "1.0.0", 11);
    expect(await t.module.tagFilters.check()).toEqual(["api"]);
    expect(await publishedTags("api")).toEqual([`apps/api:1.0.0@${digest(11)}`]);
  });

  it("keeps the last published state when the tags it chose disappear, and republishes once they resolve differently", async () => {
    const before = await publishedTags("api");
    t.registry.repositoryTags.set("apps/api", []);
    expect(await t.module.tagFilters.check()).toEqual([]);
    expect(await publishedTags("api")).toEqual(before);
    push("apps/api", "1.1.0", 12);
    expect(await t.module.tagFilters.check()).toEqual(["api"]);
    expect(await publishedTags("api")).toEqual([`apps/api:1.1.0@${digest(12)}`]);
  });

  it("ResolveTagFilters resolves now only the groups filtering the named repositories (all without names)", async () => {
    await fleet.createGroup({ group: "db", artifacts: [{ repository: "apps/db", tagRegex: "^16\\." }] });
    push("apps/db", "16.1", 20);
    await t.module.publisher.flush();
    await t.module.tagFilters.check();
    await t.module.publisher.flush();
    push("apps/db", "16.2", 21);
    push("apps/web", "1.4.0", 22);
    expect(await fleet.resolveTagFilters({ repositories: ["apps/db"] })).toMatchObject({ queuedGroups: ["db"] });
    expect(await publishedTags("db")).toEqual([`apps/db:16.2@${digest(21)}`]);
    expect(await fleet.resolveTagFilters({ repositories: ["apps/other"] })).toMatchObject({ queuedGroups: [] });
    expect(await fleet.resolveTagFilters({})).toMatchObject({ queuedGroups: ["web"] });
    expect(await publishedTags("web")).toEqual([`apps/web:1.4.0@${digest(22)}`, `apps/web:1.3.0@${digest(7)}`]);
    expect(await failure(fleet.resolveTagFilters({ repositories: ["web"] }))).toEqual({
      code: Code.InvalidArgument,
      message: 'repositories[0] "web" must be a repository with its Harbor project, e.g. "library/nginx"',
    });
  });

  it("records what each publish resolved: the drift view's desired images, and a restarted process queues nothing unchanged", async () => {
    await t.module.publisher.flush();
    const [edge] = await t.db.select({ id: satellites.id }).from(satellites).where(eq(satellites.name, "edge-1"));
    const desired = (await readDesiredStates(t.db, [{ id: edge.id, name: "edge-1" }])).get(edge.id);
    expect(desired?.groups.map((g) => [g.name, g.artifacts.map((a) => `${a.tags.join(",")}@${a.digest}`)])).toEqual([
      ["web", [`1.4.0@${digest(22)}`, `1.3.0@${digest(7)}`]],
    ]);
    const restarted = createTagFilterWatcher({
      store: t.module.store,
      registry: t.registry.client,
      logger: createLogger({ name: "restarted", level: "silent" }),
      intervalMs: 0,
      queued: () => undefined,
    });
    expect(await restarted.check()).toEqual([]);
    push("apps/api", "1.2.0", 30);
    expect(await restarted.check()).toEqual(["api"]);
    // Queued once: the next pass does not queue the same change again while it is pending.
    expect(await restarted.check()).toEqual([]);
    await t.module.publisher.flush();
    expect((await t.module.store.filteredGroups()).find((g) => g.name === "api")?.resolvedArtifacts).toEqual([
      { repository: "apps/api", tags: ["1.2.0"], digest: digest(30), type: "image" },
    ]);

    // Updating the group forgets the old resolution until the new list is published.
    await fleet.updateGroup({ group: "web", artifacts: [{ repository: "apps/web", tags: ["latest"] }] });
    const pendingWeb = (await readDesiredStates(t.db, [{ id: edge.id, name: "edge-1" }])).get(edge.id);
    expect(pendingWeb?.groups[0].artifacts.map((a) => a.tags.join(","))).toEqual(["latest"]);
    await t.module.publisher.flush();
    expect((await t.module.store.filteredGroups()).map((g) => g.name)).not.toContain("web");
  });
});
