// FleetService handlers: validate the request, run the change in the store (which writes the
// outbox rows in the same transaction), kick the publisher, map the result to proto. Domain errors
// are thrown as they are; the gateway maps them to Connect codes once. Fields renamed in v0.2
// (`name`, `config_name` → `satellite`, `group`, `config`) are read through renamedField, so the
// old names keep working until v0.3 and errors name the new field.
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import type { PageRequest } from "@harbor-satellite/gen/harbor/satellite/common/v1/common_pb";
import {
  InvalidArgumentError,
  keysetToken,
  keysetWindow,
  nextPageToken,
  pageWindow,
  parseJsonObject,
  renamedField,
} from "@harbor-satellite/rpc";
import { requireSatelliteConfig } from "./config-schema.js";
import { DEFAULT_CONFIG_NAME } from "./default-config.js";
import { mergePatch } from "./merge-patch.js";
import { configMessage, groupMessage, satelliteMessage, type MessageContext } from "./messages.js";
import type { FleetStore, Page } from "./store/index.js";
import {
  requireArtifacts,
  requireGroupNames,
  requireName,
  requireNewArtifacts,
  requireRegion,
  requireRepository,
  requireSatelliteName,
  requireSelectors,
  requireStateName,
} from "./validation.js";

export interface FleetServiceDeps {
  store: FleetStore;
  /** Called after every committed change, so the publisher starts at once. */
  changed(): void;
  /** Resolves before each call: the `default` config exists. */
  ready(): Promise<void>;
  /** How to render URLs and SPIFFE IDs (for this call: the URL it reached Ground Control at). */
  context(call?: HandlerContext): Promise<MessageContext>;
  /** Resolves tag filters now (of the groups naming these repositories); the groups queued. */
  resolveTagFilters(repositories: readonly string[]): Promise<string[]>;
}

const optionalName = (field: string, value: string) => (value === "" ? undefined : requireName(field, value));
/** The satellite, group or config a request names, under its v0.2 name or (until v0.3) `name`. */
const named = <F extends "satellite" | "group" | "config">(field: F, req: { name: string } & Record<F, string>) =>
  renamedField(field, req[field], "name", req.name);

/** ListSatellites' page tokens: `s:<total counted on the first page>:<last name>`. */
const SATELLITE_CURSOR = "s";

async function paged<T, M>(
  page: PageRequest | undefined,
  load: (w: ReturnType<typeof pageWindow>) => Promise<Page<T>>,
  map: (item: T) => M,
) {
  const window = pageWindow(page);
  const { items, total } = await load(window);
  return {
    items: items.map(map),
    page: { nextPageToken: nextPageToken(window, items.length, total), totalSize: BigInt(total) },
  };
}

export function createFleetServiceImpl(deps: FleetServiceDeps): ServiceImpl<typeof FleetService> {
  const { store } = deps;
  /** Runs a store change, then kicks the publisher. */
  const changing = async <T>(fn: () => Promise<T>): Promise<T> => {
    await deps.ready();
    const result = await fn();
    deps.changed();
    return result;
  };
  const reading = async <T>(call: HandlerContext, fn: (ctx: MessageContext) => Promise<T>): Promise<T> => {
    await deps.ready();
    return fn(await deps.context(call));
  };

  return {
    async createSatellite(req, call) {
      const input = {
        name: requireSatelliteName("satellite", named("satellite", req)),
        region: requireRegion(req.region),
        selectors: requireSelectors(req.selectors),
        groups: requireGroupNames("groups", req.groups),
        configName: configOf(req.config, req.configName) ?? DEFAULT_CONFIG_NAME,
      };
      const record = await changing(() => store.createSatellite(input));
      return { satellite: satelliteMessage(record, await deps.context(call)) };
    },

    async getSatellite(req, call) {
      const name = requireName("satellite", named("satellite", req));
      return reading(call, async (ctx) => ({ satellite: satelliteMessage(await store.getSatellite(name), ctx) }));
    },

    async listSatellites(req, call) {
      const filter = { region: optionalName("region", req.region), group: optionalName("group", req.group) };
      // Keyset paging; old offset tokens ("o<n>") still continue where they pointed.
      const window = keysetWindow(req.page, SATELLITE_CURSOR, { legacyOffset: true });
      return reading(call, async (ctx) => {
        const { items, more, total } = await store.listSatellites(filter, window);
        const last = items.at(-1)?.name;
        return {
          satellites: items.map((r) => satelliteMessage(r, ctx)),
          page: { nextPageToken: keysetToken(SATELLITE_CURSOR, last, total, more), totalSize: BigInt(total) },
        };
      });
    },

    async deleteSatellite(req) {
      const name = requireName("satellite", named("satellite", req));
      await changing(() => store.deleteSatellite(name));
      return {};
    },

    async createGroup(req, call) {
      const name = requireStateName("group", named("group", req));
      const artifacts = requireArtifacts(req.artifacts);
      const record = await changing(() => store.createGroup(name, artifacts));
      return { group: groupMessage(record, await deps.context(call)) };
    },

    async updateGroup(req, call) {
      const name = requireName("group", named("group", req));
      const artifacts = requireNewArtifacts(name, req.artifacts, req.clearArtifacts);
      const record = await changing(() => store.updateGroup(name, artifacts));
      return { group: groupMessage(record, await deps.context(call)) };
    },

    async getGroup(req, call) {
      const name = requireName("group", named("group", req));
      return reading(call, async (ctx) => ({ group: groupMessage(await store.getGroup(name), ctx) }));
    },

    async listGroups(req, call) {
      return reading(call, async (ctx) => {
        const { items, page } = await paged(
          req.page,
          (w) => store.listGroups(w),
          (r) => groupMessage(r, ctx),
        );
        return { groups: items, page };
      });
    },

    async deleteGroup(req) {
      const name = requireName("group", named("group", req));
      await changing(() => store.deleteGroup(name, req.force));
      return {};
    },

    async assignGroup(req, call) {
      const satellite = requireName("satellite", req.satellite);
      const group = requireName("group", req.group);
      const record = await changing(() => store.assignGroup(satellite, group));
      return { satellite: satelliteMessage(record, await deps.context(call)) };
    },

    async unassignGroup(req, call) {
      const satellite = requireName("satellite", req.satellite);
      const group = requireName("group", req.group);
      const record = await changing(() => store.unassignGroup(satellite, group));
      return { satellite: satelliteMessage(record, await deps.context(call)) };
    },

    async createConfig(req, call) {
      const name = requireStateName("config", named("config", req));
      const config = requireSatelliteConfig("config_json", parseJsonObject("config_json", req.configJson));
      const record = await changing(() => store.createConfig(name, config));
      return { config: configMessage(record, await deps.context(call)) };
    },

    async updateConfig(req, call) {
      const name = requireName("config", named("config", req));
      const change = req.change;
      let next: (current: Record<string, unknown>) => Record<string, unknown>;
      if (change.case === "configJson") {
        const config = requireSatelliteConfig("config_json", parseJsonObject("config_json", change.value));
        next = () => config;
      } else if (change.case === "mergePatchJson") {
        const patch = parsePatch(change.value);
        next = (current) => requireSatelliteConfig("merge_patch_json (applied)", mergePatch(current, patch));
      } else {
        throw new InvalidArgumentError("one of config_json or merge_patch_json is required");
      }
      const record = await changing(() => store.updateConfig(name, next));
      return { config: configMessage(record, await deps.context(call)) };
    },

    async getConfig(req, call) {
      const name = requireName("config", named("config", req));
      return reading(call, async (ctx) => ({ config: configMessage(await store.getConfig(name), ctx) }));
    },

    async listConfigs(req, call) {
      return reading(call, async (ctx) => {
        const { items, page } = await paged(
          req.page,
          (w) => store.listConfigs(w),
          (r) => configMessage(r, ctx),
        );
        return { configs: items, page };
      });
    },

    async deleteConfig(req) {
      const name = requireName("config", named("config", req));
      await changing(() => store.deleteConfig(name, DEFAULT_CONFIG_NAME));
      return {};
    },

    async setSatelliteConfig(req, call) {
      const satellite = requireName("satellite", req.satellite);
      const configName = configOf(req.config, req.configName);
      if (configName === undefined) throw new InvalidArgumentError("config is required");
      const record = await changing(() => store.setSatelliteConfig(satellite, configName));
      return { satellite: satelliteMessage(record, await deps.context(call)) };
    },

    async resolveTagFilters(req) {
      await deps.ready();
      const repositories = req.repositories.map((r, i) => requireRepository(`repositories[${i}]`, r));
      return { queuedGroups: await deps.resolveTagFilters(repositories) };
    },

    async republishSatelliteStates(req) {
      const names = req.satellites.map((name, i) => requireName(`satellites[${i}]`, name));
      const queued = await changing(() => store.republishSatelliteStates(names));
      return { queuedCount: queued.length };
    },
  };
}

/** The config a request names under `config` or (until v0.3) `config_name`; undefined when neither. */
function configOf(config: string, deprecatedConfigName: string): string | undefined {
  const name = renamedField("config", config, "config_name", deprecatedConfigName);
  return name === "" ? undefined : requireName("config", name);
}

/** A merge patch may be any JSON value (RFC 7386); it must at least parse. */
function parsePatch(text: string): unknown {
  if (text.trim() === "") throw new InvalidArgumentError("merge_patch_json is required");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`merge_patch_json is not valid JSON: ${(error as Error).message}`);
  }
}
