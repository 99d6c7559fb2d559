// The drift rpcs of HeartbeatService: GetSatelliteDrift and ListSatelliteDrift, over the drift
// reader. Lists page by name with a keyset cursor (an opaque token holding the last satellite
// examined), so page 1,000 of a large fleet costs what page 1 does.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { PageResponseSchema } from "@harbor-satellite/gen/harbor/satellite/common/v1/common_pb";
import {
  DriftState,
  GetSatelliteDriftResponseSchema,
  ImageDriftSchema,
  ListSatelliteDriftResponseSchema,
  SatelliteDriftSchema,
  type HeartbeatService,
  type SatelliteDrift,
} from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import {
  callerOf,
  InvalidArgumentError,
  MAX_NAME_LENGTH,
  NotFoundError,
  keysetToken,
  keysetWindow,
  PermissionDeniedError,
  requireName,
  UnauthenticatedError,
} from "@harbor-satellite/rpc";
import type { DriftReader, SatelliteDriftRecord } from "./drift-reader.js";

/** Drifted images listed per satellite in ListSatelliteDrift (GetSatelliteDrift lists all). */
export const LISTED_IMAGES = 20;

type DriftHandlers = Pick<ServiceImpl<typeof HeartbeatService>, "getSatelliteDrift" | "listSatelliteDrift">;

export function createDriftHandlers(reader: DriftReader): DriftHandlers {
  return {
    async getSatelliteDrift(req, ctx) {
      authorizeRead(ctx);
      const name = requireName("satellite", req.satellite);
      const record = await reader.get(name);
      if (!record) throw new NotFoundError("satellite", name);
      return create(GetSatelliteDriftResponseSchema, { drift: toSatelliteDrift(record) });
    },

    async listSatelliteDrift(req, ctx) {
      authorizeRead(ctx);
      if (!(req.state in DriftState))
        throw new InvalidArgumentError(`state ${req.state} is not a known DriftState value`);
      const filter = {
        state: req.state,
        region: req.region === "" ? "" : requireName("region", req.region),
        group: req.group === "" ? "" : requireName("group", req.group),
        prefix: requirePrefix(req.satellitePrefix),
      };
      // A keyset cursor: the last satellite examined and the first page's total (tokens of the
      // older "d:<name>" form still continue, counting the total again).
      const { limit, after, total } = keysetWindow(req.page, DRIFT_CURSOR);
      const page = await reader.page(filter, after, limit, total);
      const pageTotal = page.total ?? 0;
      return create(ListSatelliteDriftResponseSchema, {
        satellites: page.records.map((r) => toSatelliteDrift(r, LISTED_IMAGES)),
        page: create(PageResponseSchema, {
          nextPageToken: keysetToken(DRIFT_CURSOR, page.next, pageTotal, page.next !== undefined),
          totalSize: BigInt(pageTotal),
        }),
      });
    },
  };
}

export function toSatelliteDrift(record: SatelliteDriftRecord, maxImages = Infinity): SatelliteDrift {
  const { verdict } = record;
  const judged = verdict.state !== DriftState.STALE && verdict.state !== DriftState.NEVER_SEEN;
  return create(SatelliteDriftSchema, {
    satellite: record.name,
    region: record.region,
    state: verdict.state,
    reason: verdict.reason,
    health: verdict.health,
    lastSeenTime: record.lastSeen ? timestampFromDate(record.lastSeen) : undefined,
    groups: record.groups,
    desiredStateDigest: record.desiredStateDigest,
    reportedStateDigest: record.reportedStateDigest,
    publishPending: record.pending !== undefined,
    publishError: record.pending?.lastError ?? "",
    changeTime: timestampFromDate(verdict.changedAt),
    dueTime: judged && verdict.state !== DriftState.IN_SYNC ? timestampFromDate(verdict.dueAt) : undefined,
    desiredImageCount: verdict.desiredImageCount,
    imageDriftCount: verdict.images.length,
    images: verdict.images.slice(0, maxImages).map((i) => create(ImageDriftSchema, i)),
  });
}

const DRIFT_CURSOR = "d";

function requirePrefix(prefix: string): string {
  if (prefix === "") return "";
  if (prefix.length > MAX_NAME_LENGTH || !/^[a-z0-9][a-z0-9._-]*$/.test(prefix)) {
    throw new InvalidArgumentError(
      `satellite_prefix ${JSON.stringify(prefix.slice(0, 300))} is invalid: satellite names use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit`,
    );
  }
  return prefix;
}

/** Drift is for operators: satellites do not read the fleet's state (the gateway also allows only admins). */
function authorizeRead(ctx: HandlerContext): void {
  const caller = callerOf(ctx);
  if (caller.kind === "anonymous") throw new UnauthenticatedError("reading satellite drift needs admin credentials");
  if (caller.kind === "satellite") throw new PermissionDeniedError("satellites may not read satellite drift");
}
