import { describe, expect, it } from "vitest";
import { configStateDocument, groupStateDocument, satelliteStateDocument, stateRepository, stateUrl } from "./state-documents.js";

describe("state documents", () => {
  it("formats URLs as the original: HARBOR_URL with its scheme, then satellite/<kind>-state/<name>/state:latest", () => {
    expect(stateUrl("https://harbor.example.com/", "group", "edge")).toBe("https://harbor.example.com/satellite/group-state/edge/state:latest");
    expect(stateUrl("http://127.0.0.1:8080", "satellite", "s1")).toBe("http://127.0.0.1:8080/satellite/satellite-state/s1/state:latest");
    expect(stateRepository("config", "default")).toBe("satellite/config-state/default/state");
  });

  it("writes group state with Go's key order and omitempty semantics", () => {
    const doc = groupStateDocument("edge", "http://h:1", [
      { repository: "library/nginx", tags: ["1.27", "latest"], type: "image", digest: "sha256:" + "a".repeat(64) },
      { repository: "apps/api", tags: ["v1"] },
    ]);
    expect(doc).toBe(
      '{"group":"edge","registry":"http://h:1","artifacts":[' +
        '{"repository":"library/nginx","tag":["1.27","latest"],"type":"image","digest":"sha256:' + "a".repeat(64) + '"},' +
        '{"repository":"apps/api","tag":["v1"]}]}',
    );
    expect(JSON.parse(groupStateDocument("empty", "http://h:1", []))).toEqual({ group: "empty", registry: "http://h:1" });
  });

  it("writes satellite state with group URLs and the config URL, also without groups", () => {
    expect(JSON.parse(satelliteStateDocument("http://h:1", ["a", "b"], "default"))).toEqual({
      states: ["http://h:1/satellite/group-state/a/state:latest", "http://h:1/satellite/group-state/b/state:latest"],
      config: "http://h:1/satellite/config-state/default/state:latest",
    });
    expect(JSON.parse(satelliteStateDocument("http://h:1", [], "default"))).toEqual({ states: [], config: "http://h:1/satellite/config-state/default/state:latest" });
  });

  it("writes the config object itself as config state", () => {
    expect(JSON.parse(configStateDocument({ app_config: { log_level: "info" }, zot_config: {} }))).toEqual({ app_config: { log_level: "info" }, zot_config: {} });
  });
});
