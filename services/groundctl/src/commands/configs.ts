// `groundctl configs list|get|set|patch`. A config is shown with its JSON parsed (`config`), so
// `groundctl configs get NAME -o json | jq .config` is what `configs set -f` takes back.
import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ConfigSchema, type Config } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { expectArgs, stringOpt } from "../args.js";
import type { Command, Family } from "../command.js";
import { UsageError } from "../exit-codes.js";
import { fields, formatTime, table, type View } from "../output.js";
import { allPages } from "../paging.js";

function parsedConfig(c: Config): unknown {
  try {
    return JSON.parse(c.configJson);
  } catch {
    return c.configJson;
  }
}

function configJson(c: Config) {
  const { configJson: _raw, ...rest } = toJson(ConfigSchema, c, { alwaysEmitImplicit: true }) as Record<
    string,
    unknown
  >;
  return { ...rest, config: parsedConfig(c) };
}

export function configView(c: Config): View {
  return {
    data: configJson(c),
    table: () =>
      `${fields([
        ["Name", c.name],
        ["Satellites", String(c.satelliteCount)],
        ["State URL", c.stateUrl || "-"],
        ["Created", formatTime(c.createTime)],
        ["Updated", formatTime(c.updateTime)],
      ])}\n${JSON.stringify(parsedConfig(c), null, 2)}\n`,
  };
}

/** The text of a JSON object, checked here so a typo is a usage error, not a round trip. */
export function jsonObjectText(text: string, source: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source}: not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new UsageError(`${source}: expected a JSON object`);
  return JSON.stringify(value);
}

const list: Command = {
  name: "list",
  usage: "configs list",
  summary: "list configs, by name",
  async run(ctx, args) {
    expectArgs(args, 0, 0, "");
    const { fleet } = await ctx.admin();
    const items = await allPages(async (page) => {
      const res = await fleet.listConfigs({ page });
      return { items: res.configs, nextPageToken: res.page?.nextPageToken };
    });
    return {
      data: items.map(configJson),
      table: () =>
        table(
          ["name", "satellites", "updated"],
          items.map((c) => [c.name, String(c.satelliteCount), formatTime(c.updateTime)]),
        ),
    };
  },
};

const get: Command = {
  name: "get",
  usage: "configs get NAME",
  summary: "show one config",
  async run(ctx, args) {
    expectArgs(args, 1, 1, "the config's NAME");
    const { fleet } = await ctx.admin();
    return configView((await fleet.getConfig({ config: args[0] })).config!);
  },
};

const set: Command = {
  name: "set",
  usage: "configs set NAME -f FILE",
  summary: 'create a config, or replace it whole, from a JSON file ({"app_config": …, "zot_config": …})',
  options: { file: { type: "string", short: "f", value: "FILE", help: "the config as a JSON object; - reads stdin" } },
  async run(ctx, args, values) {
    expectArgs(args, 1, 1, "the config's NAME");
    const file = stringOpt(values, "file");
    if (!file) throw new UsageError("configs set needs -f FILE (the config as JSON)");
    const json = jsonObjectText(await ctx.readInput(file), file === "-" ? "stdin" : file);
    const { fleet } = await ctx.admin();
    try {
      return configView(
        (await fleet.updateConfig({ config: args[0], change: { case: "configJson", value: json } })).config!,
      );
    } catch (error) {
      if (!(error instanceof ConnectError && error.code === Code.NotFound)) throw error;
    }
    return configView((await fleet.createConfig({ config: args[0], configJson: json })).config!);
  },
};

const patch: Command = {
  name: "patch",
  usage: "configs patch NAME (-f FILE | --patch JSON)",
  summary: "apply a JSON merge patch (RFC 7386: null removes a key) to a config",
  options: {
    file: { type: "string", short: "f", value: "FILE", help: "the merge patch as a JSON object; - reads stdin" },
    patch: {
      type: "string",
      value: "JSON",
      help: 'the merge patch inline, e.g. \'{"app_config":{"log_level":"debug"}}\'',
    },
  },
  async run(ctx, args, values) {
    expectArgs(args, 1, 1, "the config's NAME");
    const file = stringOpt(values, "file");
    const inline = stringOpt(values, "patch");
    if ((file === undefined) === (inline === undefined))
      throw new UsageError("configs patch needs one of -f FILE or --patch JSON");
    const json =
      file !== undefined
        ? jsonObjectText(await ctx.readInput(file), file === "-" ? "stdin" : file)
        : jsonObjectText(inline!, "--patch");
    const { fleet } = await ctx.admin();
    return configView(
      (await fleet.updateConfig({ config: args[0], change: { case: "mergePatchJson", value: json } })).config!,
    );
  },
};

export const configs: Family = {
  name: "configs",
  summary: "satellite configurations: list, get, set, patch",
  verbs: true,
  commands: [list, get, set, patch],
};
