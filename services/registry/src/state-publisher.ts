// Pushes one group or config state artifact to Harbor: blobs (layer, config), then the manifest
// under the unix-time tag and under `latest`, as the original does (`crane.Push` + `crane.Tag`).
// One span per publish; the registry client's requests nest under it. Satellite states never go
// to Harbor (satellite-states.ts keeps them).
import { withSpan } from "@harbor-satellite/telemetry";
import { harborFailure } from "./harbor-errors.js";
import { stateRepository, stateUrl, type StateKindName } from "./state-documents.js";
import { buildStateImage } from "./state-image.js";
import type { StatePusher } from "./state-pusher.js";

export interface PublishedStateInfo {
  url: string;
  digest: string;
  timestampTag: string;
}

export interface StatePublisherOptions {
  pusher: StatePusher;
  harborUrl: string;
  /** Makes sure the `satellite` project exists before the first push. */
  ensureStateProject(): Promise<void>;
  now?: () => Date;
}

/** The kinds that live in Harbor. */
export type HarborStateKind = Exclude<StateKindName, "satellite">;

export type PublishState = (kind: HarborStateKind, name: string, json: string) => Promise<PublishedStateInfo>;

export function createStatePublisher(options: StatePublisherOptions): PublishState {
  const now = options.now ?? (() => new Date());
  return (kind, name, json) =>
    withSpan("registry-service", `registry.publish ${kind}-state`, { "state.kind": kind, "state.name": name }, async (span) => {
      await options.ensureStateProject();
      const image = buildStateImage(json);
      const repository = stateRepository(kind, name);
      const timestampTag = String(Math.floor(now().getTime() / 1000));
      try {
        await options.pusher.pushBlob(repository, image.layer.bytes, image.layer.digest);
        await options.pusher.pushBlob(repository, image.config.bytes, image.config.digest);
        await options.pusher.pushManifest(repository, timestampTag, image.manifest, image.mediaType);
        await options.pusher.pushManifest(repository, "latest", image.manifest, image.mediaType);
      } catch (error) {
        throw harborFailure(error, `pushing ${repository}`);
      }
      span.setAttribute("state.digest", image.digest);
      return { url: stateUrl(options.harborUrl, kind, name), digest: image.digest, timestampTag };
    });
}
