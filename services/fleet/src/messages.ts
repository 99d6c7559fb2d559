// Store records as proto messages. State URLs and SPIFFE IDs are derived here, the same way the
// registry service and the identity service derive them: group and config states in Harbor, each
// satellite's satellite state on Ground Control itself.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ConfigSchema,
  GroupSchema,
  SatelliteSchema,
  type Config,
  type Group,
  type Satellite,
} from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import type { ConfigRecord, GroupRecord, SatelliteRecord } from "./store/index.js";
import { satelliteStateUrl } from "@harbor-satellite/rpc";

export interface MessageContext {
  /** HARBOR_URL without a trailing slash, or "" when not known yet. */
  harborUrl: string;
  /** Ground Control's URL (GROUND_CONTROL_URL, else the request's), or "" when not known. */
  publicUrl: string;
  trustDomain: string;
}

/**
 * The URL satellites read: `<HARBOR_URL>/satellite/<kind>-state/<name>/state:latest` for groups and
 * configs, `<Ground Control>/satellite/satellite-state/<name>/state:latest` for satellites.
 */
export function stateUrl(ctx: MessageContext, kind: "group" | "satellite" | "config", name: string): string {
  if (kind === "satellite") return ctx.publicUrl ? satelliteStateUrl(ctx.publicUrl, name) : "";
  return ctx.harborUrl ? `${ctx.harborUrl}/satellite/${kind}-state/${name}/state:latest` : "";
}

/** The SPIFFE ID a satellite presents: spiffe://<td>/satellite/region/<region>/<name>. */
export function satelliteSpiffeId(trustDomain: string, region: string, name: string): string {
  return `spiffe://${trustDomain}/satellite/region/${region}/${name}`;
}

export function satelliteMessage(r: SatelliteRecord, ctx: MessageContext): Satellite {
  return create(SatelliteSchema, {
    name: r.name,
    region: r.region,
    selectors: r.selectors,
    groups: r.groups,
    configName: r.configName,
    spiffeId: satelliteSpiffeId(ctx.trustDomain, r.region, r.name),
    createTime: timestampFromDate(r.createdAt),
    updateTime: timestampFromDate(r.updatedAt),
    stateUrl: stateUrl(ctx, "satellite", r.name),
  });
}

export function groupMessage(r: GroupRecord, ctx: MessageContext): Group {
  return create(GroupSchema, {
    name: r.name,
    artifacts: r.artifacts.map((a) => ({
      repository: a.repository,
      tags: a.tags,
      digest: a.digest ?? "",
      type: a.type ?? "image",
      tagRegex: a.tagRegex ?? "",
      semverRange: a.semverRange ?? "",
      newestCount: a.newestCount,
    })),
    satellites: r.satellites,
    createTime: timestampFromDate(r.createdAt),
    updateTime: timestampFromDate(r.updatedAt),
    stateUrl: stateUrl(ctx, "group", r.name),
  });
}

export function configMessage(r: ConfigRecord, ctx: MessageContext): Config {
  return create(ConfigSchema, {
    name: r.name,
    configJson: JSON.stringify(r.config),
    satelliteCount: r.satelliteCount,
    createTime: timestampFromDate(r.createdAt),
    updateTime: timestampFromDate(r.updatedAt),
    stateUrl: stateUrl(ctx, "config", r.name),
  });
}
