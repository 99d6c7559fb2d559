// What the fleet store returns: plain records, mapped to proto messages by the service.
import type { GroupArtifact, OutboxKind } from "@harbor-satellite/db";

export interface SatelliteRecord {
  name: string;
  region: string;
  selectors: string[];
  /** Group names, sorted. */
  groups: string[];
  configName: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface GroupRecord {
  name: string;
  artifacts: GroupArtifact[];
  /** Satellite names, sorted. */
  satellites: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ConfigRecord {
  name: string;
  config: Record<string, unknown>;
  satelliteCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** A keyset page: `more` when rows follow the last item. */
export interface KeysetPage<T> extends Page<T> {
  more: boolean;
}

export interface NewSatellite {
  name: string;
  region: string;
  selectors: string[];
  groups: string[];
  configName: string;
}

/** A claimed outbox row: work to do for one subject, as of `revision`. */
export interface OutboxJob {
  id: number;
  kind: OutboxKind;
  subject: string;
  revision: number;
  /** Attempts including this one. */
  attempts: number;
}

/** A satellite's desired state as the publisher needs it. */
export interface SatelliteState {
  /** Group names, sorted. */
  groups: string[];
  /** Each group's last published group-state digest; null while it has never been published. */
  groupDigests: Record<string, string | null>;
  configName: string;
  /** The config's last published config-state digest; null while it has never been published. */
  configDigest: string | null;
  /** Harbor projects of its groups' artifacts, sorted. */
  projects: string[];
}
