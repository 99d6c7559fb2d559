// Each satellite's satellite-state artifact, kept in Ground Control's database and served by its
// gateway (GET /v2/satellite/satellite-state/<s>/state/…) to that satellite alone, instead of in
// Harbor, whose robot permissions are per project: in Harbor every satellite's robot could read
// every other satellite's state. The bytes are those buildStateImage makes for Harbor (the
// original's crane.Image layout), so an original satellite's crane.Pull + Export reads them as
// before. Only the current version is kept: `latest`, its unix-time tag and its digest resolve to
// it; older references are unknown.
import { isDigest, isTag } from "@harbor-satellite/oci";
import type { HarborClient } from "@harbor-satellite/harbor";
import { InvalidArgumentError, NotFoundError } from "@harbor-satellite/rpc";
import { withSpan, type Logger } from "@harbor-satellite/telemetry";
import { harborFailure } from "./harbor-errors.js";
import type { SatelliteStateStore } from "./satellite-state-store.js";
import { STATE_PROJECT, stateRepository, stateRepositoryInProject } from "./state-documents.js";
import { buildStateImage } from "./state-image.js";

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

export interface SatelliteStates {
  /**
   * Stores the artifact for `json` (an upsert). The first store for a satellite first deletes the
   * copy an earlier Ground Control pushed to Harbor, so an upgrade leaves no readable copy there;
   * when that fails, nothing is stored and the publish is retried.
   */
  publish(satellite: string, json: string): Promise<{ digest: string; timestampTag: string }>;
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
}

export function createSatelliteStates(options: SatelliteStatesOptions): SatelliteStates {
  const { store, harbor, logger } = options;
  const now = options.now ?? (() => new Date());

  const deleteHarborCopy = async (satellite: string) => {
    const repo = stateRepositoryInProject("satellite", satellite);
    try {
      if (await harbor.deleteRepository(STATE_PROJECT, repo)) logger.info({ repository: `${STATE_PROJECT}/${repo}` }, "satellite state copy in Harbor deleted");
    } catch (error) {
      throw harborFailure(error, `deleting ${STATE_PROJECT}/${repo}`);
    }
  };

  return {
    publish: (satellite, json) =>
      withSpan("registry-service", "registry.publish satellite-state", { "state.kind": "satellite", "state.name": satellite }, async (span) => {
        if (!(await store.has(satellite))) await deleteHarborCopy(satellite);
        const image = buildStateImage(json);
        const timestampTag = String(Math.floor(now().getTime() / 1000));
        await store.save({
          satellite,
          manifestDigest: image.digest,
          manifest: image.manifest,
          mediaType: image.mediaType,
          configDigest: image.config.digest,
          config: image.config.bytes,
          layerDigest: image.layer.digest,
          layer: image.layer.bytes,
          timestampTag,
        });
        span.setAttribute("state.digest", image.digest);
        return { digest: image.digest, timestampTag };
      }),

    async read(satellite, target) {
      const wanted = target.kind === "manifest" ? target.reference : target.digest;
      if (target.kind === "manifest" ? !isTag(wanted) && !isDigest(wanted) : !isDigest(wanted)) {
        throw new InvalidArgumentError(`${target.kind} ${JSON.stringify(wanted)} is not a ${target.kind === "manifest" ? "tag or " : ""}digest`);
      }
      const state = await store.find(satellite);
      if (!state) throw new NotFoundError("satellite state of", satellite);
      if (target.kind === "manifest") {
        if (wanted === "latest" || wanted === state.timestampTag || wanted === state.manifestDigest) {
          return { mediaType: state.mediaType, digest: state.manifestDigest, content: state.manifest, tags: ["latest", state.timestampTag] };
        }
        throw new NotFoundError(`${stateRepository("satellite", satellite)} manifest`, wanted);
      }
      if (wanted === state.configDigest) return { mediaType: BLOB_MEDIA_TYPE, digest: wanted, content: state.config, tags: [] };
      if (wanted === state.layerDigest) return { mediaType: BLOB_MEDIA_TYPE, digest: wanted, content: state.layer, tags: [] };
      throw new NotFoundError(`${stateRepository("satellite", satellite)} blob`, wanted);
    },

    async remove(satellite) {
      if (await store.remove(satellite)) logger.info({ satellite }, "satellite state deleted");
      await deleteHarborCopy(satellite);
    },
  };
}
