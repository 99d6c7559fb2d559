// One read of the desired state: satellite state → group states → config state, compared by
// manifest digest with what was last applied so unchanged documents are never downloaded again.
//
// Request budget per pass, once authenticated:
//   - satellite state unchanged and every URL it lists pinned by digest: 1 request (its manifest);
//   - URLs by tag (`…/state:latest`, as Ground Control writes them): +1 manifest request each,
//     since a group's content changes under the same tag without the satellite state changing;
//   - a document is downloaded (one blob GET) only when its digest changed.
// A group that cannot be read keeps its last applied content (so its images are not deleted
// because of an outage) and marks the read incomplete.
import type { Logger } from "pino";
import type { DesiredImage } from "../replication/desired-image.js";
import type { AppliedGroup, AppliedState } from "./applied-state.js";
import {
  parseGroupStateDocument,
  parseSatelliteStateDocument,
  type GroupArtifact,
  type SatelliteStateDocument,
} from "@harbor-satellite/state-artifact";
import type { StateFetcher } from "./state-fetcher.js";
import { inSpan } from "../telemetry/spans.js";

/** One state artifact read from the registry, in a `satellite.state.fetch` span. */
const fetchSpan = <T>(
  kind: "satellite" | "group" | "config",
  url: string,
  fn: (digest: (d: string, source: "fetched" | "cached") => void) => Promise<T>,
) =>
  inSpan("satellite.state.fetch", { "satellite.state.kind": kind, "satellite.state.url": url }, (span) =>
    fn((digest, source) => span.setAttributes({ "oci.manifest.digest": digest, "satellite.state.source": source })),
  );

export interface ReadGroup {
  url: string;
  digest: string;
  group: string;
  /** Where its images come from (the document's `registry`, override applied). */
  registryUrl: string;
  /** The document's `registry` as written. */
  registry: string;
  artifacts: GroupArtifact[];
  /** fetched: downloaded now; cached: same digest as applied; stale: unreadable now, last applied content kept. */
  source: "fetched" | "cached" | "stale";
  /** Artifacts of the document that were set aside, with why. */
  rejected: { index: number; repository?: string; reason: string }[];
}

export interface ReadConfig {
  url: string;
  digest: string;
  /** True when the digest differs from the applied one; then `document` is the config JSON. */
  changed: boolean;
  document?: unknown;
}

export interface ReadFailure {
  kind: "group" | "config";
  url: string;
  error: Error;
}

export interface StateChanges {
  status: "changed";
  satelliteUrl: string;
  /** Registry the satellite state came from: Harbor, after any override. */
  satelliteRegistryUrl: string;
  satelliteDigest: string;
  satellite: SatelliteStateDocument;
  groups: ReadGroup[];
  config?: ReadConfig;
  failures: ReadFailure[];
  /** No group or config failed. */
  complete: boolean;
}

export type StateRead = { status: "unchanged"; satelliteDigest: string } | StateChanges;

export interface StateReaderOptions {
  fetcher: StateFetcher;
  /** Group states read at once (default 4). */
  groupConcurrency?: number;
  logger?: Logger;
}

export interface StateReader {
  read(satelliteUrl: string, last?: AppliedState, signal?: AbortSignal): Promise<StateRead>;
  /** The registry an applied group's images come from (override applied), as a read names it. */
  registryUrlOf(group: AppliedGroup): string;
}

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function createStateReader(options: StateReaderOptions): StateReader {
  const { fetcher } = options;
  const limit = Math.max(1, options.groupConcurrency ?? 4);

  const registryUrlOf = (prev: AppliedGroup) =>
    fetcher.registryUrl(prev.registry || fetcher.reference(prev.url).registryUrl);
  const fromApplied = (prev: AppliedGroup, source: ReadGroup["source"]): ReadGroup => ({
    url: prev.url,
    digest: prev.digest,
    group: prev.group,
    registry: prev.registry,
    registryUrl: registryUrlOf(prev),
    artifacts: prev.artifacts,
    source,
    rejected: [],
  });

  const readGroup = async (url: string, prev: AppliedGroup | undefined, signal?: AbortSignal): Promise<ReadGroup> => {
    const ref = fetcher.reference(url);
    if (ref.pinned && prev?.digest === ref.reference) return fromApplied(prev, "cached");
    return fetchSpan("group", url, async (read) => {
      const manifest = await fetcher.manifest(ref, signal);
      const cached = prev?.digest === manifest.digest;
      read(manifest.digest, cached ? "cached" : "fetched");
      if (cached) return fromApplied(prev, "cached");
      const doc = parseGroupStateDocument(await fetcher.payload(manifest, signal));
      return {
        url,
        digest: manifest.digest,
        group: doc.group,
        registry: doc.registry,
        registryUrl: fetcher.registryUrl(doc.registry || ref.registryUrl),
        artifacts: doc.artifacts,
        source: "fetched",
        rejected: doc.rejected,
      };
    });
  };

  const readConfig = async (url: string, last: AppliedState | undefined, signal?: AbortSignal): Promise<ReadConfig> => {
    const known = last?.config_url === url ? last.config_digest : undefined;
    const ref = fetcher.reference(url);
    if (ref.pinned && known === ref.reference) return { url, digest: known, changed: false };
    return fetchSpan("config", url, async (read) => {
      const manifest = await fetcher.manifest(ref, signal);
      read(manifest.digest, known === manifest.digest ? "cached" : "fetched");
      if (known === manifest.digest) return { url, digest: known, changed: false };
      return { url, digest: manifest.digest, changed: true, document: await fetcher.payload(manifest, signal) };
    });
  };

  return {
    registryUrlOf,
    async read(satelliteUrl, last, signal) {
      const log = options.logger?.child({ satelliteState: satelliteUrl });
      const sameSatellite = last?.satellite_state_url === satelliteUrl ? last : undefined;
      const satelliteRef = fetcher.reference(satelliteUrl);
      const { manifest, unchanged, satellite } = await fetchSpan("satellite", satelliteUrl, async (read) => {
        const manifest = await fetcher.manifest(satelliteRef, signal);
        const unchanged = sameSatellite?.satellite_state_digest === manifest.digest;
        read(manifest.digest, unchanged ? "cached" : "fetched");
        return {
          manifest,
          unchanged,
          satellite: unchanged
            ? sameSatellite!.satellite_state
            : parseSatelliteStateDocument(await fetcher.payload(manifest, signal)),
        };
      });
      const refs = [...satellite.states, ...(satellite.config ? [satellite.config] : [])];
      if (unchanged && sameSatellite!.complete && refs.every((url) => fetcher.reference(url).pinned)) {
        log?.debug({ digest: manifest.digest }, "satellite state unchanged");
        return { status: "unchanged", satelliteDigest: manifest.digest };
      }

      const failures: ReadFailure[] = [];
      const groups = (
        await mapLimited(satellite.states, limit, async (url) => {
          const prev = sameSatellite?.groups.find((g) => g.url === url) ?? last?.groups.find((g) => g.url === url);
          try {
            return await readGroup(url, prev, signal);
          } catch (error) {
            if (signal?.aborted) throw error;
            failures.push({ kind: "group", url, error: asError(error) });
            log?.warn(
              { group: url, err: { name: asError(error).name, message: asError(error).message } },
              "group state unreadable",
            );
            return prev ? fromApplied(prev, "stale") : undefined;
          }
        })
      ).filter((g): g is ReadGroup => g !== undefined);

      let config: ReadConfig | undefined;
      if (satellite.config) {
        try {
          config = await readConfig(satellite.config, last, signal);
        } catch (error) {
          if (signal?.aborted) throw error;
          failures.push({ kind: "config", url: satellite.config, error: asError(error) });
          log?.warn(
            { config: satellite.config, err: { name: asError(error).name, message: asError(error).message } },
            "config state unreadable",
          );
        }
      }

      const nothingNew =
        groups.every((g) => g.source === "cached") && groups.length === satellite.states.length && !config?.changed;
      if (unchanged && sameSatellite!.complete && failures.length === 0 && nothingNew) {
        return { status: "unchanged", satelliteDigest: manifest.digest };
      }
      return {
        status: "changed",
        satelliteUrl,
        satelliteRegistryUrl: satelliteRef.registryUrl,
        satelliteDigest: manifest.digest,
        satellite,
        groups,
        config,
        failures,
        complete: failures.length === 0,
      };
    },
  };
}

/**
 * The record to persist after a pass. `complete` must be false when any group, the config, or
 * any image failed, so the next pass retries instead of stopping at an unchanged digest.
 */
export function toAppliedState(
  read: StateChanges,
  images: readonly DesiredImage[],
  complete: boolean,
  now = new Date(),
): AppliedState {
  const state: AppliedState = {
    version: 1,
    satellite_state_url: read.satelliteUrl,
    satellite_state_digest: read.satelliteDigest,
    satellite_state: read.satellite,
    groups: read.groups.map((g) => ({
      url: g.url,
      digest: g.digest,
      group: g.group,
      registry: g.registry,
      artifacts: g.artifacts,
    })),
    images: [...images],
    complete: complete && read.complete,
    applied_at: now.toISOString(),
  };
  if (read.config) {
    state.config_url = read.config.url;
    state.config_digest = read.config.digest;
  }
  return state;
}
