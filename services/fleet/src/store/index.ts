// The fleet's store: one narrow interface per noun, all on the same database, each change in one
// transaction with the outbox requests it implies.
import type { Database } from "@harbor-satellite/db";
import { createConfigStore, type ConfigStore } from "./config-store.js";
import { createGroupStore, type GroupStore } from "./group-store.js";
import { createOutboxStore, type OutboxStore } from "./outbox-store.js";
import { createSatelliteStore, type SatelliteStore } from "./satellite-store.js";
import { createStateDigestStore, type StateDigestStore } from "./state-digests.js";

export interface FleetStore extends SatelliteStore, GroupStore, ConfigStore, StateDigestStore {
  outbox: OutboxStore;
}

export function createFleetStore(db: Database): FleetStore {
  return {
    ...createSatelliteStore(db),
    ...createGroupStore(db),
    ...createConfigStore(db),
    ...createStateDigestStore(db),
    outbox: createOutboxStore(db),
  };
}

export type { ConfigStore, GroupStore, OutboxStore, SatelliteStore, StateDigestStore };
export type * from "./records.js";
