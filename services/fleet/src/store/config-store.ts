// Satellite configs. Creating or changing one republishes its config-state; once that publish
// records a new digest, the satellite states using the config follow (state-digests.ts).
// `default` always exists and can never be deleted; a config in use cannot be deleted either.
import { asc, count, eq, sql } from "drizzle-orm";
import { configs, inTransaction, satellites, type Database, type Executor } from "@harbor-satellite/db";
import { AlreadyExistsError, FailedPreconditionError, NotFoundError, type PageWindow } from "@harbor-satellite/rpc";
import { enqueue } from "./outbox-store.js";
import type { ConfigRecord, Page } from "./records.js";

type Config = Record<string, unknown>;

/** Config rows with how many satellites use each. */
function selectConfigs(ex: Executor) {
  return ex
    .select({
      name: configs.name,
      config: configs.config,
      createdAt: configs.createdAt,
      updatedAt: configs.updatedAt,
      // Spelled out: drizzle renders columns unqualified here, which the subquery would misread.
      satelliteCount: sql<number>`(select count(*) from "satellites" s where s."config_id" = "configs"."id")`.mapWith(
        Number,
      ),
    })
    .from(configs);
}

async function mustFind(ex: Executor, name: string): Promise<ConfigRecord> {
  const [row] = await selectConfigs(ex).where(eq(configs.name, name));
  if (!row) throw new NotFoundError("config", name);
  return row;
}

const publish = (tx: Executor, name: string) => enqueue(tx, [{ kind: "publish-config-state", subject: name }]);

export interface ConfigStore {
  createConfig(name: string, config: Config): Promise<ConfigRecord>;
  /** Replaces the config with `next(current)`; `next` validates and may throw, which changes nothing. */
  updateConfig(name: string, next: (current: Config) => Config): Promise<ConfigRecord>;
  getConfig(name: string): Promise<ConfigRecord>;
  listConfigs(window: PageWindow): Promise<Page<ConfigRecord>>;
  deleteConfig(name: string, protectedName: string): Promise<void>;
  /** Creates the config unless it exists (and then publishes it); true when created. */
  ensureConfig(name: string, config: Config): Promise<boolean>;
  /** The config object, or undefined when it no longer exists. */
  configState(name: string): Promise<Config | undefined>;
}

export function createConfigStore(db: Database): ConfigStore {
  return {
    createConfig: (name, config) =>
      inTransaction(db, "fleet.createConfig", async (tx) => {
        const created = await tx
          .insert(configs)
          .values({ name, config })
          .onConflictDoNothing({ target: configs.name })
          .returning({ id: configs.id });
        if (created.length === 0) throw new AlreadyExistsError("config", name);
        await publish(tx, name);
        return mustFind(tx, name);
      }),

    updateConfig: (name, next) =>
      inTransaction(db, "fleet.updateConfig", async (tx) => {
        const [row] = await tx
          .select({ id: configs.id, config: configs.config })
          .from(configs)
          .where(eq(configs.name, name))
          .for("no key update");
        if (!row) throw new NotFoundError("config", name);
        await tx
          .update(configs)
          .set({ config: next(row.config), updatedAt: new Date() })
          .where(eq(configs.id, row.id));
        await publish(tx, name);
        return mustFind(tx, name);
      }),

    getConfig: (name) => mustFind(db, name),

    async listConfigs(window) {
      const [{ total }] = await db.select({ total: count() }).from(configs);
      const items = await selectConfigs(db).orderBy(asc(configs.name)).limit(window.limit).offset(window.offset);
      return { items, total: Number(total) };
    },

    deleteConfig: (name, protectedName) =>
      inTransaction(db, "fleet.deleteConfig", async (tx) => {
        if (name === protectedName)
          throw new FailedPreconditionError(`config ${JSON.stringify(name)} is built in and cannot be deleted`);
        const [row] = await tx.select({ id: configs.id }).from(configs).where(eq(configs.name, name)).for("update");
        if (!row) throw new NotFoundError("config", name);
        // FOR UPDATE above waits for satellites being pointed at it, so this count is complete.
        const users = await tx
          .select({ name: satellites.name })
          .from(satellites)
          .where(eq(satellites.configId, row.id))
          .orderBy(asc(satellites.name))
          .limit(6);
        if (users.length > 0) {
          const shown = users
            .slice(0, 5)
            .map((u) => JSON.stringify(u.name))
            .join(", ");
          throw new FailedPreconditionError(
            `config ${JSON.stringify(name)} is used by ${shown}${users.length > 5 ? ", …" : ""}; give them another config first`,
          );
        }
        await tx.delete(configs).where(eq(configs.id, row.id));
        await publish(tx, name);
      }),

    ensureConfig: (name, config) =>
      inTransaction(db, "fleet.ensureConfig", async (tx) => {
        const created = await tx
          .insert(configs)
          .values({ name, config })
          .onConflictDoNothing({ target: configs.name })
          .returning({ id: configs.id });
        if (created.length > 0) await publish(tx, name);
        return created.length > 0;
      }),

    async configState(name) {
      const [row] = await db.select({ config: configs.config }).from(configs).where(eq(configs.name, name));
      return row?.config;
    },
  };
}
