// Pushes one group or config state artifact to Harbor: blobs (layer, config), then the manifest
// under the unix-time tag and under `latest`, as the original does (`crane.Push` + `crane.Tag`).
// One span per publish; the registry client's requests nest under it. Satellite states are kept
// by satellite-states.ts, which uses pushStateImage only in SATELLITE_STATE_IN_HARBOR mode.
import { withSpan } from "@harbor-satellite/telemetry";
import { harborFailure } from "./harbor-errors.js";
import { stateRepository, stateUrl, type StateKindName } from "@harbor-satellite/state-artifact";
import { buildStateImage, type StateImage } from "@harbor-satellite/state-artifact";
import type { StatePusher } from "./state-pusher.js";

export interface PublishedStateInfo {
  url: string;
  digest: string;
  timestampTag: string;
}

export interface StatePublisherOptions extends HarborPush {
  harborUrl: string;
  now?: () => Date;
}

/** The kinds that live in Harbor. */
export type HarborStateKind = Exclude<StateKindName, "satellite">;

export type PublishState = (kind: HarborStateKind, name: string, json: string) => Promise<PublishedStateInfo>;

/** What createStatePublisher and the satellite-state copy need to push to Harbor. */
export interface HarborPush {
  pusher: StatePusher;
  /** Makes sure the `satellite` project exists before the first push. */
  ensureStateProject(): Promise<void>;
}

/** Pushes `image` to `repository` under `timestampTag` and `latest`; Harbor failures become domain errors. */
export async function pushStateImage(
  target: HarborPush,
  repository: string,
  image: StateImage,
  timestampTag: string,
): Promise<void> {
  await target.ensureStateProject();
  const { pusher } = target;
  try {
    await pusher.pushBlob(repository, image.layer.bytes, image.layer.digest);
    await pusher.pushBlob(repository, image.config.bytes, image.config.digest);
    await pusher.pushManifest(repository, timestampTag, image.manifest, image.mediaType);
    await pusher.pushManifest(repository, "latest", image.manifest, image.mediaType);
  } catch (error) {
    throw harborFailure(error, `pushing ${repository}`);
  }
}

export function createStatePublisher(options: StatePublisherOptions): PublishState {
  const now = options.now ?? (() => new Date());
  return (kind, name, json) =>
    withSpan(
      "registry-service",
      `registry.publish ${kind}-state`,
      { "state.kind": kind, "state.name": name },
      async (span) => {
        const image = buildStateImage(json);
        const timestampTag = String(Math.floor(now().getTime() / 1000));
        await pushStateImage(options, stateRepository(kind, name), image, timestampTag);
        span.setAttribute("state.digest", image.digest);
        return { url: stateUrl(options.harborUrl, kind, name), digest: image.digest, timestampTag };
      },
    );
}
