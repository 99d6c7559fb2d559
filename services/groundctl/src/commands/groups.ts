// `groundctl groups list|get|create|update|assign|unassign|delete`.
import { toJson } from "@bufbuild/protobuf";
import { GroupSchema, type Group } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { expectArgs, flagOpt, listOpt, stringOpt, type OptionSpecs, type OptionValues } from "../args.js";
import type { Command, Context, Family } from "../command.js";
import { UsageError } from "../exit-codes.js";
import { artifactsFromImages, parseGroupFile, type ArtifactInit } from "../group-spec.js";
import { artifactsFromFilterFlags, describeArtifactFilter, mergeFilters } from "../tag-filter-flags.js";
import { fields, formatTime, joinOrDash, table, type View } from "../output.js";
import { allPages } from "../paging.js";
import { satellitesView } from "./satellites.js";

const groupJson = (g: Group) => toJson(GroupSchema, g, { alwaysEmitImplicit: true });
const imageRef = (a: Group["artifacts"][number]) => {
  const filter = describeArtifactFilter(a);
  const tags = a.tags.length > 0 || !filter ? `:${a.tags.join(",")}` : "";
  return `${a.repository}${tags}${a.digest ? `@${a.digest}` : ""}${filter ? `[${filter}]` : ""}`;
};

export function groupView(g: Group): View {
  return {
    data: groupJson(g),
    table: () => {
      const head = fields([
        ["Name", g.name],
        ["Satellites", joinOrDash(g.satellites)],
        ["State URL", g.stateUrl || "-"],
        ["Created", formatTime(g.createTime)],
        ["Updated", formatTime(g.updateTime)],
        ["Artifacts", String(g.artifacts.length)],
      ]);
      if (g.artifacts.length === 0) return head;
      // The filter column only for groups that have a filter, so plain groups read as before.
      const filtered = g.artifacts.some((a) => describeArtifactFilter(a) !== "");
      const row = (a: Group["artifacts"][number]) => [
        a.repository,
        a.tags.join(",") || "-",
        ...(filtered ? [describeArtifactFilter(a) || "-"] : []),
        a.digest || "-",
        a.type || "image",
      ];
      const columns = ["repository", "tags", ...(filtered ? ["filter"] : []), "digest", "type"];
      return `${head}\n${table(columns, g.artifacts.map(row))}`;
    },
  };
}

function groupsView(list: Group[]): View {
  return {
    data: list.map(groupJson),
    table: () =>
      table(
        ["name", "images", "satellites", "updated"],
        list.map((g) => [
          g.name,
          g.artifacts.length ? g.artifacts.map(imageRef).join(" ") : "-",
          String(g.satellites.length),
          formatTime(g.updateTime),
        ]),
      ),
  };
}

const SPEC_OPTIONS: OptionSpecs = {
  file: {
    type: "string",
    short: "f",
    value: "FILE",
    help: "the group as YAML or JSON (name, artifacts: [{repository, tags, digest}], images: [..]); - reads stdin",
  },
  image: {
    type: "string",
    multiple: true,
    value: "REPO:TAG",
    help: "an image, project/repo:tag[@sha256:…]; repeatable, added to the file's",
  },
  "tag-regex": {
    type: "string",
    multiple: true,
    value: "REPO=REGEX",
    help: "the newest tags of REPO matching an RE2 regex (anchor with ^…$), resolved by Ground Control against Harbor; repeatable",
  },
  semver: {
    type: "string",
    multiple: true,
    value: "REPO=RANGE",
    help: "the newest tags of REPO in a semver range, e.g. 'apps/web=>=1.2 <2'; repeatable",
  },
  newest: {
    type: "string",
    multiple: true,
    value: "REPO=N",
    help: "how many of REPO's newest matching tags (default 1; with --tag-regex or --semver)",
  },
};

/** The group's name and artifacts from NAME, -f FILE and --image flags. */
async function readSpec(
  ctx: Context,
  args: string[],
  values: OptionValues,
): Promise<{ name: string; artifacts: ArtifactInit[] }> {
  expectArgs(args, 0, 1, "the group's NAME");
  const file = stringOpt(values, "file");
  const spec = file ? parseGroupFile(await ctx.readInput(file), file === "-" ? "stdin" : file) : { artifacts: [] };
  const name = args[0] ?? spec.name;
  if (!name) throw new UsageError("missing the group's NAME (an argument, or name: in the file)");
  if (args[0] && spec.name && spec.name !== args[0])
    throw new UsageError(`the file names group ${JSON.stringify(spec.name)}, the command ${JSON.stringify(args[0])}`);
  const filtered = artifactsFromFilterFlags({
    tagRegex: listOpt(values, "tag-regex"),
    semver: listOpt(values, "semver"),
    newest: listOpt(values, "newest"),
  });
  return {
    name,
    artifacts: mergeFilters([...spec.artifacts, ...artifactsFromImages(listOpt(values, "image"))], filtered),
  };
}

const list: Command = {
  name: "list",
  usage: "groups list",
  summary: "list groups, by name",
  async run(ctx, args) {
    expectArgs(args, 0, 0, "");
    const { fleet } = await ctx.admin();
    const items = await allPages(async (page) => {
      const res = await fleet.listGroups({ page });
      return { items: res.groups, nextPageToken: res.page?.nextPageToken };
    });
    return groupsView(items);
  },
};

const get: Command = {
  name: "get",
  usage: "groups get NAME",
  summary: "show one group: its artifacts and satellites",
  async run(ctx, args) {
    expectArgs(args, 1, 1, "the group's NAME");
    const { fleet } = await ctx.admin();
    return groupView((await fleet.getGroup({ group: args[0] })).group!);
  },
};

const createGroup: Command = {
  name: "create",
  usage:
    "groups create [NAME] [-f FILE] [--image REPO:TAG …] [--semver REPO=RANGE | --tag-regex REPO=RE [--newest REPO=N] …]",
  summary: "add a group of images (none: an empty group, filled later with update) and publish its group state",
  options: SPEC_OPTIONS,
  async run(ctx, args, values) {
    const { name, artifacts } = await readSpec(ctx, args, values);
    const { fleet } = await ctx.admin();
    return groupView((await fleet.createGroup({ group: name, artifacts })).group!);
  },
};

const update: Command = {
  name: "update",
  usage: "groups update [NAME] (-f FILE | --image REPO:TAG … | --semver/--tag-regex REPO=… | --clear)",
  summary: "replace a group's images (the satellites converge on their next pass)",
  options: {
    ...SPEC_OPTIONS,
    clear: {
      type: "boolean",
      help: "remove every image from the group (required to empty it; nothing else may be given)",
    },
  },
  async run(ctx, args, values) {
    const { name, artifacts } = await readSpec(ctx, args, values);
    const clear = flagOpt(values, "clear");
    if (clear && artifacts.length > 0)
      throw new UsageError("--clear empties the group: give it no -f FILE images or --image");
    if (!clear && artifacts.length === 0)
      throw new UsageError(
        `this would remove every image from group ${JSON.stringify(name)}: give -f FILE or --image, or --clear to empty it`,
      );
    const { fleet } = await ctx.admin();
    return groupView((await fleet.updateGroup({ group: name, artifacts, clearArtifacts: clear })).group!);
  },
};

/** assign / unassign: one group, one or more satellites; prints the satellites after the change. */
function pairing(verb: "assign" | "unassign"): Command {
  return {
    name: verb,
    usage: `groups ${verb} GROUP SATELLITE…`,
    summary: verb === "assign" ? "give satellites a group (idempotent)" : "take a group from satellites (idempotent)",
    async run(ctx, args) {
      expectArgs(args, 2, Number.MAX_SAFE_INTEGER, args.length === 0 ? "the GROUP and a SATELLITE" : "a SATELLITE");
      const [group, ...names] = args;
      const { fleet } = await ctx.admin();
      const changed = [];
      for (const satellite of names) {
        const res =
          verb === "assign"
            ? await fleet.assignGroup({ satellite, group })
            : await fleet.unassignGroup({ satellite, group });
        changed.push(res.satellite!);
      }
      return satellitesView(changed);
    },
  };
}

const remove: Command = {
  name: "delete",
  usage: "groups delete NAME [--force]",
  summary: "remove a group and its group state",
  options: {
    force: { type: "boolean", help: "unassign it from its satellites first (else refused while assigned: exit 5)" },
  },
  async run(ctx, args, values) {
    expectArgs(args, 1, 1, "the group's NAME");
    const { fleet } = await ctx.admin();
    await fleet.deleteGroup({ group: args[0], force: flagOpt(values, "force") });
    return { data: { deleted: args[0] }, table: () => `group ${args[0]} deleted\n` };
  },
};

export const groups: Family = {
  name: "groups",
  summary: "sets of images assigned to satellites: list, get, create, update, assign, unassign, delete",
  verbs: true,
  commands: [list, get, createGroup, update, pairing("assign"), pairing("unassign"), remove],
};
