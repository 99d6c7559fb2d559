// One system-level Harbor robot per satellite, named after it, allowed to read and pull from
// exactly its groups' projects plus `satellite` (where its state artifacts live). Harbor
// generates secrets; Ground Control hands a secret out once and keeps only its scrypt hash.
//
// Robots are found by our own row first, then by name in Harbor. A robot with the satellite's
// name that Ground Control did not create (other description) is never touched: AlreadyExists.
import { HarborError, type HarborClient, type Robot, type RobotPermission } from "@harbor-satellite/harbor";
import { Code } from "@connectrpc/connect";
import {
  DomainError,
  FailedPreconditionError,
  hashSecret,
  NotFoundError,
  type SecretHashParams,
} from "@harbor-satellite/rpc";
import type { Logger } from "@harbor-satellite/telemetry";
import { harborFailure } from "./harbor-errors.js";
import { countRenewals } from "./renewal-metrics.js";
import { renewedDuration, type RenewalPolicy } from "./robot-renewal.js";
import type { RobotRecord, RobotStore } from "./robot-store.js";
import { STATE_PROJECT } from "@harbor-satellite/state-artifact";

/** The original's description; robots carrying it are Ground Control's (also the Go original's). */
export const ROBOT_DESCRIPTION = "managed by ground-control should not edit";

/** What a satellite may do in each of its projects: read artifacts and repositories, pull. */
const ACCESS = [
  { resource: "artifact", action: "read" },
  { resource: "repository", action: "read" },
  { resource: "repository", action: "pull" },
] as const;

export interface RobotView extends RobotRecord {
  satellite: string;
}

export interface RobotManagerOptions {
  harbor: HarborClient;
  store: RobotStore;
  logger: Logger;
  /** Robot lifetime in days (-1 never expires) and when EnsureRobot renews it (robot-renewal.ts). */
  renewal: RenewalPolicy;
  now: () => Date;
  /** Makes sure the `satellite` project exists before a robot is granted it. */
  ensureStateProject(): Promise<void>;
  /** scrypt's cost for stored robot secrets; unset: the production default (tests pass a cheap one). */
  secretHash?: SecretHashParams;
}

export interface RobotManager {
  ensure(satellite: string, projects: readonly string[]): Promise<{ robot: RobotView; secret?: string }>;
  rotate(satellite: string): Promise<{ robot: RobotView; secret: string }>;
  get(satellite: string): Promise<RobotView>;
  delete(satellite: string): Promise<void>;
}

/** The sorted, de-duplicated project list a robot gets: the given ones plus `satellite`. */
export function robotProjects(projects: readonly string[]): string[] {
  return [...new Set([...projects, STATE_PROJECT])].sort();
}

export function robotPermissions(projects: readonly string[]): RobotPermission[] {
  return projects.map((namespace) => ({ kind: "project", namespace, access: ACCESS.map((a) => ({ ...a })) }));
}

/** True when Harbor's permission list grants exactly `projects` with exactly ACCESS each. */
function grantsExactly(permissions: RobotPermission[] | undefined, projects: readonly string[]): boolean {
  const want = ACCESS.map((a) => `${a.resource}:${a.action}`)
    .sort()
    .join(",");
  const got = new Map<string, string>();
  for (const p of permissions ?? []) {
    if (p.kind !== "project" || !p.namespace) return false;
    got.set(
      p.namespace,
      (p.access ?? [])
        .map((a) => `${a.resource}:${a.action}`)
        .sort()
        .join(","),
    );
  }
  return got.size === projects.length && projects.every((p) => got.get(p) === want);
}

function expiry(robot: { expires_at?: number }): Date | null {
  return robot.expires_at && robot.expires_at > 0 ? new Date(robot.expires_at * 1000) : null;
}

export function createRobotManager(options: RobotManagerOptions): RobotManager {
  const { harbor, store, logger } = options;

  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw harborFailure(error, what);
    }
  };

  const getHarborRobot = async (id: number): Promise<Robot | undefined> => {
    try {
      return await harbor.getRobot(id);
    } catch (error) {
      if (error instanceof HarborError && error.status === 404) return undefined;
      throw harborFailure(error, `reading robot ${id}`);
    }
  };

  const satelliteIdOf = async (satellite: string): Promise<number> => {
    const id = await store.satelliteId(satellite);
    if (id === undefined) throw new NotFoundError("satellite", satellite);
    return id;
  };

  /**
   * Puts `projects` on an existing robot when its permissions differ, and renews it when it
   * expires within the renewal window, in one PUT. Returns the robot as Harbor now has it.
   */
  const reconcile = async (robot: Robot, projects: string[]): Promise<Robot> => {
    const granted = grantsExactly(robot.permissions, projects);
    const duration = renewedDuration(robot, options.renewal, options.now());
    if (granted && duration === undefined) return robot;
    const { secret: _never, ...rest } = robot;
    const id = robot.id as number;
    await call(`updating robot ${robot.name}`, () =>
      harbor.updateRobot(id, {
        ...rest,
        permissions: robotPermissions(projects),
        duration: duration ?? robot.duration,
      }),
    ).catch((error: unknown) => {
      if (duration !== undefined) countRenewals("failed");
      throw error;
    });
    if (duration !== undefined) countRenewals("renewed");
    if (!granted) logger.info({ robot: robot.name, harborId: id, projects }, "robot permissions updated");
    if (duration === undefined) return robot;
    const renewed = (await getHarborRobot(id)) ?? robot;
    logger.info(
      { robot: robot.name, harborId: id, durationDays: duration, expiresAt: expiry(renewed)?.toISOString() ?? "never" },
      "robot renewed",
    );
    return renewed;
  };

  /** Stores a robot we hold a fresh secret for; undoes the Harbor side if the row cannot be written. */
  const remember = async (record: RobotRecord, secret: string, created: boolean): Promise<void> => {
    try {
      await store.save(record, await hashSecret(secret, options.secretHash));
    } catch (error) {
      if (created) await harbor.deleteRobot(record.harborId).catch(() => false);
      throw error;
    }
  };

  const create = async (satellite: string, satelliteId: number, projects: string[]) => {
    const existing = await call(`looking up robot ${satellite}`, () => harbor.findRobotByName(satellite));
    if (existing) {
      if (existing.description !== ROBOT_DESCRIPTION) {
        throw new DomainError(
          Code.AlreadyExists,
          `a Harbor robot named ${JSON.stringify(existing.name ?? satellite)} already exists and was not created by Ground Control; rename the satellite or remove that robot`,
        );
      }
      // Ours, but its secret is unknown here (row lost, or made by the Go original): adopt it
      // with a fresh secret.
      const current = await reconcile(existing, projects);
      const secret = await call(`refreshing robot ${existing.name}`, () =>
        harbor.refreshRobotSecret(existing.id as number),
      );
      const record: RobotRecord = {
        satelliteId,
        robotName: existing.name as string,
        harborId: existing.id as number,
        projects,
        expiresAt: expiry(current),
      };
      await remember(record, secret, false);
      logger.info({ satellite, robot: record.robotName, harborId: record.harborId }, "adopted existing robot account");
      return { robot: { ...record, satellite }, secret };
    }
    const created = await call(`creating robot ${satellite}`, () =>
      harbor.createRobot({
        name: satellite,
        description: ROBOT_DESCRIPTION,
        level: "system",
        duration: options.renewal.durationDays,
        disable: false,
        permissions: robotPermissions(projects),
      }),
    );
    if (!created.secret || created.id === undefined || !created.name)
      throw harborFailure(
        new Error("Harbor created a robot without id, name or secret"),
        `creating robot ${satellite}`,
      );
    const record: RobotRecord = {
      satelliteId,
      robotName: created.name,
      harborId: created.id,
      projects,
      expiresAt: expiry(created),
    };
    await remember(record, created.secret, true);
    logger.info({ satellite, robot: record.robotName, harborId: record.harborId, projects }, "robot account created");
    return { robot: { ...record, satellite }, secret: created.secret };
  };

  const splitExisting = async (projects: string[]) => {
    const exists = await Promise.all(
      projects.map((p) => (p === STATE_PROJECT ? true : call(`checking project ${p}`, () => harbor.projectExists(p)))),
    );
    return { present: projects.filter((_, i) => exists[i]), missing: projects.filter((_, i) => !exists[i]) };
  };

  const ensureWith = async (satellite: string, satelliteId: number, projects: string[]) => {
    const known = await store.find(satellite);
    const robot = known ? await getHarborRobot(known.harborId) : undefined;
    if (!known || !robot) return create(satellite, satelliteId, projects);
    const current = await reconcile(robot, projects);
    await store.updateProjects(satelliteId, projects, expiry(current));
    return { robot: { ...known, projects, expiresAt: expiry(current), satellite } };
  };

  return {
    async ensure(satellite, requested) {
      await options.ensureStateProject();
      const satelliteId = await satelliteIdOf(satellite);
      // Harbor refuses a permission on a project that does not exist, so the robot gets the
      // projects that do; the missing ones fail the call afterwards (FailedPrecondition), which
      // keeps the fleet's outbox retrying until someone creates them.
      const { present, missing } = await splitExisting(robotProjects(requested));
      const result = await ensureWith(satellite, satelliteId, present);
      if (missing.length > 0) {
        logger.warn({ satellite, missing }, "robot not granted projects missing in Harbor");
        throw new FailedPreconditionError(
          `Harbor has no project ${missing.map((m) => JSON.stringify(m)).join(", ")}: robot ${result.robot.robotName} was granted ${present.join(", ")} only`,
        );
      }
      return result;
    },

    async rotate(satellite) {
      const known = await store.find(satellite);
      if (!known) throw new NotFoundError("robot account of satellite", satellite);
      let secret: string;
      try {
        secret = await harbor.refreshRobotSecret(known.harborId);
      } catch (error) {
        if (error instanceof HarborError && error.status === 404)
          throw new NotFoundError(`Harbor robot ${known.robotName} of satellite`, satellite);
        throw harborFailure(error, `refreshing robot ${known.robotName}`);
      }
      const robot = await getHarborRobot(known.harborId);
      const expiresAt = robot ? expiry(robot) : known.expiresAt;
      await store.updateSecret(known.satelliteId, await hashSecret(secret, options.secretHash), expiresAt);
      logger.info({ satellite, robot: known.robotName, harborId: known.harborId }, "robot secret rotated");
      return { robot: { ...known, expiresAt, satellite }, secret };
    },

    async get(satellite) {
      const known = await store.find(satellite);
      if (!known) throw new NotFoundError("robot account of satellite", satellite);
      return { ...known, satellite };
    },

    async delete(satellite) {
      const known = await store.find(satellite);
      let harborId = known?.harborId;
      if (harborId === undefined) {
        // The row went with the satellite (cascade); find ours by name.
        const existing = await call(`looking up robot ${satellite}`, () => harbor.findRobotByName(satellite));
        if (existing?.description === ROBOT_DESCRIPTION) harborId = existing.id;
      }
      if (harborId !== undefined) {
        const id = harborId;
        const deleted = await call(`deleting robot ${satellite}`, () => harbor.deleteRobot(id));
        if (deleted) logger.info({ satellite, harborId: id }, "robot account deleted");
      }
      if (known) await store.remove(known.satelliteId);
    },
  };
}
