// The reader against a real CNCF distribution registry holding state artifacts pushed in the
// original Ground Control's layout.
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDesiredSet, planChanges } from "./desired-set.js";
import { createStateFetcher } from "./state-fetcher.js";
import { createStateReader, toAppliedState } from "./state-reader.js";
import { craneStateImage, stateDocuments, pushStateImage } from "@harbor-satellite/testkit";

let registry: DockerRegistry;

beforeAll(async () => {
  registry = await startDockerRegistry();
});
afterAll(async () => {
  await registry?.stop();
});

describe("state reader against docker-registry", () => {
  it("reads the chain, stops at an unchanged pinned digest, and plans a group change", async () => {
    const host = registry.host;
    const push = async (repo: string, json: string) => {
      const img = craneStateImage(json);
      await pushStateImage(registry.url, repo, ["latest", "1700000000"], img);
      return img;
    };
    const g1 = await push(
      "satellite/group-state/g1/state",
      stateDocuments.group("g1", registry.url, [
        { repository: "library/nginx", tag: ["1.25"] },
        { repository: "library/busybox", tag: ["1.36"] },
      ]),
    );
    const cfg = await push(
      "satellite/config-state/default/state",
      JSON.stringify({ app_config: { log_level: "debug" } }),
    );
    // Scheme-less URLs, as the original emits when HARBOR_URL has none; 127.0.0.1 means plain HTTP.
    const satUrl = `${host}/satellite/satellite-state/edge/state:latest`;
    await push(
      "satellite/satellite-state/edge/state",
      stateDocuments.satellite(
        [`${host}/satellite/group-state/g1/state@${g1.digest}`],
        `${host}/satellite/config-state/default/state@${cfg.digest}`,
      ),
    );

    const fetcher = createStateFetcher({ retry: { attempts: 2 } });
    try {
      const reader = createStateReader({ fetcher });
      const first = await reader.read(satUrl);
      if (first.status !== "changed") throw new Error("first read must see changes");
      expect(first.config?.document).toEqual({ app_config: { log_level: "debug" } });
      const images = buildDesiredSet(first.groups).images;
      expect(images.map((i) => `${i.repository}:${i.tag}`)).toEqual(["library/nginx:1.25", "library/busybox:1.36"]);
      const applied = toAppliedState(first, images, true);

      const before = fetcher.requestCount;
      expect((await reader.read(satUrl, applied)).status).toBe("unchanged");
      expect(fetcher.requestCount - before).toBe(1);

      const g1b = await push(
        "satellite/group-state/g1/state",
        stateDocuments.group("g1", registry.url, [
          { repository: "library/nginx", tag: ["1.25"] },
          { repository: "library/redis", tag: ["7"] },
        ]),
      );
      await push(
        "satellite/satellite-state/edge/state",
        stateDocuments.satellite(
          [`${host}/satellite/group-state/g1/state@${g1b.digest}`],
          `${host}/satellite/config-state/default/state@${cfg.digest}`,
        ),
      );
      const next = await reader.read(satUrl, applied);
      if (next.status !== "changed") throw new Error("group change must be seen");
      expect(next.config?.changed).toBe(false);
      const plan = planChanges(buildDesiredSet(next.groups).images, applied.images);
      expect(plan.add).toEqual([{ repository: "library/redis", tag: "7" }]);
      expect(plan.remove).toEqual([{ repository: "library/busybox", tag: "1.36" }]);
    } finally {
      fetcher.close();
    }
  });
});
