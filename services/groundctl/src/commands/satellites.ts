// `groundctl satellites list|get|register|delete|status`.
import { toJson } from "@bufbuild/protobuf";
import { SatelliteSchema, type Satellite } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { expectArgs, listOpt, stringOpt } from "../args.js";
import type { Command, Family } from "../command.js";
import { fields, formatTime, joinOrDash, table, type View } from "../output.js";
import { allPages } from "../paging.js";
import { satelliteStatusView } from "../satellite-status-view.js";
import { unlessUnimplemented } from "../states.js";

const satelliteJson = (s: Satellite) => toJson(SatelliteSchema, s, { alwaysEmitImplicit: true });

export function satelliteView(s: Satellite): View {
  return {
    data: satelliteJson(s),
    table: () =>
      fields([
        ["Name", s.name],
        ["Region", s.region],
        ["Config", s.configName],
        ["Groups", joinOrDash(s.groups)],
        ["SPIFFE ID", s.spiffeId || "-"],
        ["Selectors", joinOrDash(s.selectors)],
        ["State URL", s.stateUrl || "-"],
        ["Created", formatTime(s.createTime)],
        ["Updated", formatTime(s.updateTime)],
      ]),
  };
}

export function satellitesView(list: Satellite[]): View {
  return {
    data: list.map(satelliteJson),
    table: () =>
      table(
        ["name", "region", "config", "groups", "created"],
        list.map((s) => [s.name, s.region, s.configName, joinOrDash(s.groups), formatTime(s.createTime)]),
      ),
  };
}

const list: Command = {
  name: "list",
  usage: "satellites list [--region REGION] [--group GROUP]",
  summary: "list satellites, by name",
  options: {
    region: { type: "string", value: "REGION", help: "only satellites in this region" },
    group: { type: "string", value: "GROUP", help: "only satellites that have this group" },
  },
  async run(ctx, args, values) {
    expectArgs(args, 0, 0, "");
    const { fleet } = await ctx.admin();
    const region = stringOpt(values, "region") ?? "";
    const group = stringOpt(values, "group") ?? "";
    const items = await allPages(async (page) => {
      const res = await fleet.listSatellites({ region, group, page });
      return { items: res.satellites, nextPageToken: res.page?.nextPageToken };
    });
    return satellitesView(items);
  },
};

const get: Command = {
  name: "get",
  usage: "satellites get NAME",
  summary: "show one satellite",
  async run(ctx, args) {
    expectArgs(args, 1, 1, "the satellite's NAME");
    const { fleet } = await ctx.admin();
    const { satellite } = await fleet.getSatellite({ satellite: args[0] });
    return satelliteView(satellite!);
  },
};

const register: Command = {
  name: "register",
  usage: "satellites register NAME [--region REGION] [--group GROUP]… [--config CONFIG] [--selector TYPE:VALUE]…",
  summary: "add a satellite (then: groundctl tokens issue NAME)",
  options: {
    region: { type: "string", value: "REGION", help: "its region (default)" },
    group: { type: "string", multiple: true, value: "GROUP", help: "a group to assign now; repeatable" },
    config: { type: "string", value: "CONFIG", help: "the config it uses (default)" },
    selector: {
      type: "string",
      multiple: true,
      value: "TYPE:VALUE",
      help: "a SPIFFE selector for its SPIRE entry; repeatable",
    },
  },
  async run(ctx, args, values) {
    expectArgs(args, 1, 1, "the satellite's NAME");
    const { fleet } = await ctx.admin();
    const { satellite } = await fleet.createSatellite({
      satellite: args[0],
      region: stringOpt(values, "region") ?? "",
      groups: listOpt(values, "group"),
      config: stringOpt(values, "config") ?? "",
      selectors: listOpt(values, "selector"),
    });
    return satelliteView(satellite!);
  },
};

const remove: Command = {
  name: "delete",
  usage: "satellites delete NAME",
  summary: "remove a satellite, its robot account and its satellite state",
  async run(ctx, args) {
    expectArgs(args, 1, 1, "the satellite's NAME");
    const { fleet } = await ctx.admin();
    await fleet.deleteSatellite({ satellite: args[0] });
    return { data: { deleted: args[0] }, table: () => `satellite ${args[0]} deleted\n` };
  },
};

const status: Command = {
  name: "status",
  usage: "satellites status NAME",
  summary: "one satellite's health, latest report and drift: every image not as desired, and why",
  async run(ctx, args) {
    expectArgs(args, 1, 1, "the satellite's NAME");
    const { heartbeat } = await ctx.admin();
    const [status, drift] = await Promise.all([
      heartbeat.getSatelliteStatus({ satellite: args[0] }),
      unlessUnimplemented(() => heartbeat.getSatelliteDrift({ satellite: args[0] })),
    ]);
    return satelliteStatusView(status.status!, drift?.drift, ctx.now());
  },
};

export const satellites: Family = {
  name: "satellites",
  summary: "edge sites: list, get, register, delete, status",
  verbs: true,
  commands: [list, get, register, remove, status],
};
