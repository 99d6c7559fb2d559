// Publishes an edge satellite's state chain (satellite state -> one group state + a config state)
// to a fake upstream, as Ground Control would, for tests that run the state pass against it.
import type { FakeRegistry } from "@harbor-satellite/oci/testing";
import { stateDocuments, stateImage } from "@harbor-satellite/testkit";

export interface EdgeState {
  /** Publishes a satellite state with one group wanting these `repository:tag`s (a new digest every call with another list). */
  want(...images: string[]): void;
  /** The satellite state's URL the pass reads. */
  satelliteUrl(): string;
}

/** `registry` is read on every call, so a test may start a new fake upstream before each case. */
export function edgeState(registry: () => FakeRegistry): EdgeState {
  const pinned = (kind: string, name: string, digest: string) =>
    `${new URL(registry().url).host}/satellite/${kind}-state/${name}/state@${digest}`;
  function publish(repository: string, json: string): string {
    const img = stateImage(json);
    for (const blob of img.blobs) registry().putBlob(blob);
    return registry().putManifest(repository, "latest", img.manifest, img.mediaType);
  }
  return {
    want(...images) {
      const artifacts = images.map((i) => ({ repository: i.split(":")[0], tag: [i.split(":")[1]] }));
      const group = publish("satellite/group-state/g/state", stateDocuments.group("g", registry().url, artifacts));
      const config = publish("satellite/config-state/default/state", JSON.stringify({ app_config: {} }));
      publish(
        "satellite/satellite-state/edge/state",
        stateDocuments.satellite([pinned("group", "g", group)], pinned("config", "default", config)),
      );
    },
    satelliteUrl: () => `${registry().url}/satellite/satellite-state/edge/state:latest`,
  };
}
