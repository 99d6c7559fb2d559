// HeartbeatService: Sync records a heartbeat through the group-commit ingest; the status rpcs
// read satellites joined with their latest heartbeat and apply the rule of health.ts.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { Database } from "@harbor-satellite/db";
import { PageResponseSchema } from "@harbor-satellite/gen/harbor/satellite/common/v1/common_pb";
import {
  GetSatelliteStatusResponseSchema,
  Health,
  ListSatelliteStatusesResponseSchema,
  SyncResponseSchema,
  type HeartbeatService,
} from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import {
  callerOf,
  InvalidArgumentError,
  nextPageToken,
  NotFoundError,
  pageWindow,
  PermissionDeniedError,
  publicUrlOf,
  renamedField,
  requireName,
  satelliteStateUrl,
  UnauthenticatedError,
} from "@harbor-satellite/rpc";
import { toSatelliteStatus } from "./convert.js";
import type { CredentialRefresher } from "./credential-refresh.js";
import { toHeartbeatRow } from "./heartbeat-row.js";
import type { Ingest } from "./ingest.js";
import { getStatus, listStatuses } from "./store.js";

export interface HeartbeatServiceDeps {
  db: Database;
  ingest: Ingest;
  now: () => Date;
  /** GROUND_CONTROL_URL; unset, the URL each call reached the gateway at. */
  publicUrl?: string;
  /** Credential refresh (credential-refresh.ts); absent: robot secrets are never rotated here. */
  credentials?: CredentialRefresher;
}

/** The health rpcs; the drift rpcs are drift-service.ts's. */
export type HealthHandlers = Omit<ServiceImpl<typeof HeartbeatService>, "getSatelliteDrift" | "listSatelliteDrift">;

export function createHeartbeatService({
  db,
  ingest,
  now,
  publicUrl,
  credentials,
}: HeartbeatServiceDeps): HealthHandlers {
  return {
    async sync(req, ctx) {
      const name = requireName("satellite", renamedField("satellite", req.satellite, "name", req.name));
      authorizeSync(ctx, name);
      const { receivedAt, stateDigest } = await ingest.record(toHeartbeatRow(req, now()));
      const base = publicUrl ?? publicUrlOf(ctx);
      const robotCredentials = await refreshedCredentials(ctx, name, req, credentials);
      return create(SyncResponseSchema, {
        receiveTime: timestampFromDate(receivedAt),
        satelliteStateUrl: base ? satelliteStateUrl(base, name) : "",
        satelliteStateDigest: stateDigest ?? "",
        robotCredentials,
      });
    },

    async getSatelliteStatus(req, ctx) {
      authorizeRead(ctx);
      const name = requireName("satellite", renamedField("satellite", req.satellite, "name", req.name));
      const row = await getStatus(db, name);
      if (!row) throw new NotFoundError("satellite", name);
      return create(GetSatelliteStatusResponseSchema, { status: toSatelliteStatus(row, now()) });
    },

    async listSatelliteStatuses(req, ctx) {
      authorizeRead(ctx);
      if (!(req.health in Health)) throw new InvalidArgumentError(`health ${req.health} is not a known Health value`);
      const region = req.region === "" ? "" : requireName("region", req.region);
      const window = pageWindow(req.page);
      const at = now();
      const { rows, total } = await listStatuses(db, { health: req.health, region, ...window }, at);
      return create(ListSatelliteStatusesResponseSchema, {
        statuses: rows.map((row) => toSatelliteStatus(row, at)),
        page: create(PageResponseSchema, {
          nextPageToken: nextPageToken(window, rows.length, total),
          totalSize: BigInt(total),
        }),
      });
    },
  };
}

/** New robot credentials go only to the satellite itself (never to an admin reporting for it). */
async function refreshedCredentials(
  ctx: HandlerContext,
  name: string,
  req: { acceptsRobotCredentials: boolean; robotCredentialsAck: string },
  credentials: CredentialRefresher | undefined,
) {
  const caller = callerOf(ctx);
  if (!credentials || !req.acceptsRobotCredentials || caller.kind !== "satellite" || caller.name !== name)
    return undefined;
  return credentials.onHeartbeat(name, req.robotCredentialsAck);
}

/** A satellite may report only as itself; admins and Ground Control services may report for any. */
function authorizeSync(ctx: HandlerContext, name: string): void {
  const caller = callerOf(ctx);
  if (caller.kind === "anonymous") throw new UnauthenticatedError("Sync needs satellite or admin credentials");
  if (caller.kind === "satellite" && caller.name !== name) {
    throw new PermissionDeniedError(
      `satellite ${JSON.stringify(caller.name)} may not send heartbeats as ${JSON.stringify(name)}`,
    );
  }
}

/** Statuses are for operators: satellites do not read the fleet's health. */
function authorizeRead(ctx: HandlerContext): void {
  const caller = callerOf(ctx);
  if (caller.kind === "anonymous") throw new UnauthenticatedError("reading satellite statuses needs admin credentials");
  if (caller.kind === "satellite") throw new PermissionDeniedError("satellites may not read satellite statuses");
}
