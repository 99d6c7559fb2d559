// `groundctl status`: the fleet at a glance, satellites counted by health and by drift (from a
// Ground Control with the drift rpcs), then one line each.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { SatelliteDrift, SatelliteStatus } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { expectArgs } from "../args.js";
import type { Command, Family } from "../command.js";
import { formatAge, table, type View } from "../output.js";
import { allPages } from "../paging.js";
import { DRIFT_STATES, driftName, HEALTHS, healthName, unlessUnimplemented } from "../states.js";

/** `drift` undefined: this Ground Control reports none, and the drift columns are left out. */
export function fleetStatusView(statuses: SatelliteStatus[], drift: SatelliteDrift[] | undefined, now: Date): View {
  const health = Object.fromEntries(HEALTHS.map((h) => [healthName(h), statuses.filter((s) => s.health === h).length]));
  const driftOf = new Map(drift?.map((d) => [d.satellite, d]));
  const driftCounts =
    drift &&
    Object.fromEntries(DRIFT_STATES.map((state) => [driftName(state), drift.filter((d) => d.state === state).length]));
  const rows = statuses.map((s) => {
    const d = driftOf.get(s.name);
    return {
      name: s.name,
      region: s.region,
      health: healthName(s.health),
      ...(drift
        ? { drift: d ? driftName(d.state) : null, driftedImages: d?.imageDriftCount ?? 0, reason: d?.reason ?? "" }
        : {}),
      lastSeenTime: s.lastSeenTime ? timestampDate(s.lastSeenTime).toISOString() : null,
      imageCount: s.latest?.imageCount ?? 0,
      failingImages: s.latest?.errors.length ?? 0,
    };
  });
  return {
    data: { total: statuses.length, health, ...(driftCounts ? { drift: driftCounts } : {}), satellites: rows },
    table: () => {
      const summaries = [
        table(
          ["health", "satellites"],
          [...Object.entries(health).map(([h, n]) => [h, String(n)]), ["total", String(statuses.length)]],
        ),
      ];
      if (driftCounts)
        summaries.push(
          table(
            ["drift", "satellites"],
            Object.entries(driftCounts).map(([state, n]) => [state, String(n)]),
          ),
        );
      if (statuses.length === 0) return summaries.join("\n");
      const headers = [
        "name",
        "region",
        "health",
        ...(drift ? ["drift"] : []),
        "last seen",
        "images",
        "failing",
        ...(drift ? ["reason"] : []),
      ];
      const list = table(
        headers,
        statuses.map((s, i) => {
          const r = rows[i];
          const seen = s.lastSeenTime ? `${formatAge(s.lastSeenTime, now)} ago` : "never";
          return [
            s.name,
            s.region,
            r.health,
            ...(drift ? [r.drift ?? "-"] : []),
            seen,
            String(r.imageCount),
            String(r.failingImages),
            ...(drift ? [r.reason || "-"] : []),
          ];
        }),
      );
      return `${summaries.join("\n")}\n${list}`;
    },
  };
}

const statusCommand: Command = {
  name: "status",
  usage: "status",
  summary: "fleet summary: satellites by health and by drift, then each satellite's",
  async run(ctx, args) {
    expectArgs(args, 0, 0, "");
    const { heartbeat } = await ctx.admin();
    const [statuses, drift] = await Promise.all([
      allPages(async (page) => {
        const res = await heartbeat.listSatelliteStatuses({ page });
        return { items: res.statuses, nextPageToken: res.page?.nextPageToken };
      }),
      unlessUnimplemented(() =>
        allPages(async (page) => {
          const res = await heartbeat.listSatelliteDrift({ page });
          return { items: res.satellites, nextPageToken: res.page?.nextPageToken };
        }),
      ),
    ]);
    return fleetStatusView(statuses, drift, ctx.now());
  },
};

export const status: Family = {
  name: "status",
  summary: statusCommand.summary,
  verbs: false,
  commands: [statusCommand],
};
