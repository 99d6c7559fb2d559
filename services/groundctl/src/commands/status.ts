// `groundctl status`: the fleet at a glance, satellites counted by health, then one line each.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { SatelliteStatus } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { expectArgs } from "../args.js";
import type { Command, Family } from "../command.js";
import { HEALTHS, healthName } from "../health.js";
import { formatAge, table, type View } from "../output.js";
import { allPages } from "../paging.js";

export function fleetStatusView(statuses: SatelliteStatus[], now: Date): View {
  const counts = Object.fromEntries(HEALTHS.map((h) => [healthName(h), statuses.filter((s) => s.health === h).length]));
  const rows = statuses.map((s) => ({
    name: s.name,
    region: s.region,
    health: healthName(s.health),
    lastSeenTime: s.lastSeenTime ? timestampDate(s.lastSeenTime).toISOString() : null,
    imageCount: s.latest?.imageCount ?? 0,
    failingImages: s.latest?.errors.length ?? 0,
  }));
  return {
    data: { total: statuses.length, health: counts, satellites: rows },
    table: () => {
      const summary = table(["health", "satellites"], [...Object.entries(counts).map(([h, n]) => [h, String(n)]), ["total", String(statuses.length)]]);
      if (statuses.length === 0) return summary;
      const list = table(
        ["name", "region", "health", "last seen", "images", "failing"],
        statuses.map((s, i) => [s.name, s.region, rows[i].health, s.lastSeenTime ? `${formatAge(s.lastSeenTime, now)} ago` : "never", String(rows[i].imageCount), String(rows[i].failingImages)]),
      );
      return `${summary}\n${list}`;
    },
  };
}

const statusCommand: Command = {
  name: "status",
  usage: "status",
  summary: "fleet summary: satellites by health, then each satellite's",
  async run(ctx, args) {
    expectArgs(args, 0, 0, "");
    const { heartbeat } = await ctx.admin();
    const statuses = await allPages(async (page) => {
      const res = await heartbeat.listSatelliteStatuses({ page });
      return { items: res.statuses, nextPageToken: res.page?.nextPageToken };
    });
    return fleetStatusView(statuses, ctx.now());
  },
};

export const status: Family = { name: "status", summary: statusCommand.summary, verbs: false, commands: [statusCommand] };
