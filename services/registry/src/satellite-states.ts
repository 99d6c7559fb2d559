// Each satellite's satellite-state artifact, kept in Ground Control's database and served by its
// gateway (GET /v2/satellite/satellite-state/<s>/state/…) to that satellite alone, instead of in
// Harbor, whose robot permissions are per project: in Harbor every satellite's robot could read
// every other satellite's state. The bytes are those buildStateImage makes for Harbor (the
// original's crane.Image layout), so an original satellite's crane.Pull + Export reads them as
// before. Only the current version is kept: `latest`, its unix-time tag and its digest resolve to
// it; older references are unknown.
//
// Original Go satellites cannot read it here: their --harbor-registry-url rewrites the host of
// every state URL, this one included, to Harbor's. For fleets that still run them,
// SATELLITE_STATE_IN_HARBOR (`copyToHarbor`) also pushes a copy to Harbor, as before the move, at
// the cost the paragraph above describes; Ground Control still serves its own. The copy is the
// ORIGINAL form of the document (tag URLs, state-documents.ts), not the pinned one Ground Control
// serves, so its digest differs: original satellites track groups by URL, and a pinned URL would
// make them drop a changed group without deleting its images.
//
// The copy is pushed at every publish although its bytes change only when the satellite's groups
// or config name do (else it re-tags the same manifest with a new unix time, as the original's
// pushes did): that is simplest, and a copy deleted in Harbor meanwhile (by an admin, or by a
// replica running with the mode off) is put back at the next publish, which skipping unchanged
// bytes would not notice.
import { isDigest, isTag } from "@harbor-satellite/oci";
import type { HarborClient } from "@harbor-satellite/harbor";
import { InvalidArgumentError, NotFoundError } from "@harbor-satellite/rpc";
import { withSpan, type Logger } from "@harbor-satellite/telemetry";
import { harborFailure } from "./harbor-errors.js";
import type { SatelliteStateStore } from "./satellite-state-store.js";
import { STATE_PROJECT, stateRepository, stateRepositoryInProject } from "@harbor-satellite/state-artifact";
import { buildStateImage } from "@harbor-satellite/state-artifact";
import { pushStateImage, type HarborPush } from "./state-publisher.js";

/** What a blob is served as: registries do not keep a blob's media type (the manifest has it). */
const BLOB_MEDIA_TYPE = "application/octet-stream";

export type ArtifactTarget = { kind: "manifest"; reference: string } | { kind: "blob"; digest: string };

export interface ArtifactPart {
  mediaType: string;
  digest: string;
  content: Buffer;
  /** For a manifest: `latest` and the unix-time tag of this version. */
  tags: string[];
}

/** One satellite state in the two forms satelliteStateDocument writes. */
export interface SatelliteStateDocuments {
  /** Pinned URLs: stored and served by Ground Control; its digest is the one reported. */
  served: string;
  /** Tag URLs (the original form): what SATELLITE_STATE_IN_HARBOR pushes to Harbor. */
  harborCopy: string;
}

export interface SatelliteStates {
  /**
   * Stores the artifact for `documents.served` (an upsert). The first store for a satellite
   * first deletes the copy an earlier Ground Control pushed to Harbor, so an upgrade leaves no
   * readable copy there; when that fails, nothing is stored and the publish is retried. So does the first store after
   * SATELLITE_STATE_IN_HARBOR was turned off. With it on, `documents.harborCopy` is also pushed
   * to Harbor (tags `latest` and the same unix time) and no copy is deleted. Returns the stored
   * artifact's digest, never the Harbor copy's.
   */
  publish(satellite: string, documents: SatelliteStateDocuments): Promise<{ digest: string; timestampTag: string }>;
  /** The manifest or a blob of the satellite's current artifact; NotFound otherwise. */
  read(satellite: string, target: ArtifactTarget): Promise<ArtifactPart>;
  /** Removes the stored artifact and any Harbor copy. Idempotent. */
  remove(satellite: string): Promise<void>;
}

export interface SatelliteStatesOptions {
  store: SatelliteStateStore;
  harbor: HarborClient;
  logger: Logger;
  now?: () => Date;
  /** SATELLITE_STATE_IN_HARBOR: also push every satellite state to Harbor, for original Go satellites. */
  copyToHarbor?: HarborPush;
}

export function createSatelliteStates(options: SatelliteStatesOptions): SatelliteStates {
  const { store, harbor, logger, copyToHarbor } = options;
  const now = options.now ?? (() => new Date());

  const deleteHarborCopy = async (satellite: string) => {
    const repo = stateRepositoryInProject("satellite", satellite);
    try {
      if (await harbor.deleteRepository(STATE_PROJECT, repo))
        logger.info({ repository: `${STATE_PROJECT}/${repo}` }, "satellite state copy in Harbor deleted");
    } catch (error) {
      throw harborFailure(error, `deleting ${STATE_PROJECT}/${repo}`);
    }
  };

  return {
    publish: (satellite, documents) =>
      withSpan(
        "registry-service",
        "registry.publish satellite-state",
        { "state.kind": "satellite", "state.name": satellite, "state.harbor_copy": Boolean(copyToHarbor) },
        async (span) => {
          const image = buildStateImage(documents.served);
          const timestampTag = String(Math.floor(now().getTime() / 1000));
          const artifact = {
            satellite,
            manifestDigest: image.digest,
            manifest: image.manifest,
            mediaType: image.mediaType,
            configDigest: image.config.digest,
            config: image.config.bytes,
            layerDigest: image.layer.digest,
            layer: image.layer.bytes,
            timestampTag,
          };
          if (copyToHarbor) {
            // Marked before the push, so a copy that may exist (even half pushed) is always one the
            // mode's being turned off will delete; a failed push fails the publish, which is retried.
            await store.save({ ...artifact, harborCopy: true });
            const copy = buildStateImage(documents.harborCopy);
            await pushStateImage(copyToHarbor, stateRepository("satellite", satellite), copy, timestampTag);
            span.setAttribute("state.harbor_copy_digest", copy.digest);
          } else if (!(await store.replaceWithoutCopy(artifact))) {
            // One statement when a row without a Harbor copy is there (every publish after the
            // first). Else: no row yet, so an earlier Ground Control may have pushed a copy, or
            // harborCopy says this one did; either is deleted before the row is written.
            if ((await store.harborCopy(satellite)) !== false) await deleteHarborCopy(satellite);
            await store.save({ ...artifact, harborCopy: false });
          }
          span.setAttribute("state.digest", image.digest);
          return { digest: image.digest, timestampTag };
        },
      ),

    async read(satellite, target) {
      const wanted = target.kind === "manifest" ? target.reference : target.digest;
      if (target.kind === "manifest" ? !isTag(wanted) && !isDigest(wanted) : !isDigest(wanted)) {
        throw new InvalidArgumentError(
          `${target.kind} ${JSON.stringify(wanted)} is not a ${target.kind === "manifest" ? "tag or " : ""}digest`,
        );
      }
      const state = await store.find(satellite);
      if (!state) throw new NotFoundError("satellite state of", satellite);
      if (target.kind === "manifest") {
        if (wanted === "latest" || wanted === state.timestampTag || wanted === state.manifestDigest) {
          return {
            mediaType: state.mediaType,
            digest: state.manifestDigest,
            content: state.manifest,
            tags: ["latest", state.timestampTag],
          };
        }
        throw new NotFoundError(`${stateRepository("satellite", satellite)} manifest`, wanted);
      }
      if (wanted === state.configDigest)
        return { mediaType: BLOB_MEDIA_TYPE, digest: wanted, content: state.config, tags: [] };
      if (wanted === state.layerDigest)
        return { mediaType: BLOB_MEDIA_TYPE, digest: wanted, content: state.layer, tags: [] };
      throw new NotFoundError(`${stateRepository("satellite", satellite)} blob`, wanted);
    },

    async remove(satellite) {
      if (await store.remove(satellite)) logger.info({ satellite }, "satellite state deleted");
      await deleteHarborCopy(satellite);
    },
  };
}
