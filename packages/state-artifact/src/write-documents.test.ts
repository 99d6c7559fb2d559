import { describe, expect, it } from "vitest";
import {
  configStateDocument,
  groupStateDocument,
  pinnedStateUrl,
  satelliteStateDocument,
  stateRepository,
  stateUrl,
} from "./index.js";

describe("state documents", () => {
  it("formats URLs as the original: HARBOR_URL with its scheme, then satellite/<kind>-state/<name>/state:latest", () => {
    expect(stateUrl("https://harbor.example.com/", "group", "edge")).toBe(
      "https://harbor.example.com/satellite/group-state/edge/state:latest",
    );
    expect(stateUrl("http://127.0.0.1:8080", "satellite", "s1")).toBe(
      "http://127.0.0.1:8080/satellite/satellite-state/s1/state:latest",
    );
    expect(stateRepository("config", "default")).toBe("satellite/config-state/default/state");
  });

  it("writes group state with Go's key order and omitempty semantics", () => {
    const doc = groupStateDocument("edge", "http://h:1", [
      { repository: "library/nginx", tags: ["1.27", "latest"], type: "image", digest: "sha256:" + "a".repeat(64) },
      { repository: "apps/api", tags: ["v1"] },
    ]);
    expect(doc).toBe(
      '{"group":"edge","registry":"http://h:1","artifacts":[' +
        '{"repository":"library/nginx","tag":["1.27","latest"],"type":"image","digest":"sha256:' +
        "a".repeat(64) +
        '"},' +
        '{"repository":"apps/api","tag":["v1"]}]}',
    );
    expect(JSON.parse(groupStateDocument("empty", "http://h:1", []))).toEqual({
      group: "empty",
      registry: "http://h:1",
    });
  });

  it("writes satellite state with group and config URLs pinned by digest, also without groups", () => {
    const [a, b, c] = ["a", "b", "c"].map((x) => `sha256:${x.repeat(64)}`);
    expect(
      JSON.parse(
        satelliteStateDocument(
          "http://h:1/",
          [
            { name: "a", digest: a },
            { name: "b", digest: b },
          ],
          { name: "default", digest: c },
        ),
      ),
    ).toEqual({
      states: [`http://h:1/satellite/group-state/a/state@${a}`, `http://h:1/satellite/group-state/b/state@${b}`],
      config: `http://h:1/satellite/config-state/default/state@${c}`,
    });
    expect(satelliteStateDocument("http://h:1", [], { name: "default", digest: c })).toBe(
      `{"states":[],"config":"http://h:1/satellite/config-state/default/state@${c}"}`,
    );
    expect(pinnedStateUrl("https://harbor.example.com", "group", "edge", a)).toBe(
      `https://harbor.example.com/satellite/group-state/edge/state@${a}`,
    );
  });

  it("writes the original form (for original Go satellites reading Harbor's copy) with tag URLs, as Go's json.Marshal of SatelliteStateArtifact", () => {
    const [a, b, c] = ["a", "b", "c"].map((x) => `sha256:${x.repeat(64)}`);
    const groups = [
      { name: "web", digest: a },
      { name: "edge.eu-1", digest: b },
    ];
    // Key order `states` then `config` (the struct's field order); URLs carry HARBOR_URL's scheme, no trailing slash.
    expect(satelliteStateDocument("http://127.0.0.1:8080/", groups, { name: "default", digest: c }, "original")).toBe(
      '{"states":["http://127.0.0.1:8080/satellite/group-state/web/state:latest","http://127.0.0.1:8080/satellite/group-state/edge.eu-1/state:latest"],' +
        '"config":"http://127.0.0.1:8080/satellite/config-state/default/state:latest"}',
    );
    // omitempty on both fields: an empty `states` or config is left out, not written as [] or "".
    expect(satelliteStateDocument("https://h", [], { name: "default", digest: c }, "original")).toBe(
      '{"config":"https://h/satellite/config-state/default/state:latest"}',
    );
    expect(satelliteStateDocument("https://h", groups.slice(0, 1), undefined, "original")).toBe(
      '{"states":["https://h/satellite/group-state/web/state:latest"]}',
    );
    expect(satelliteStateDocument("https://h", [], undefined, "original")).toBe("{}");
    // The digests are not in it: a group's new content leaves the original form's bytes unchanged.
    expect(satelliteStateDocument("https://h", [{ name: "web", digest: c }], undefined, "original")).toBe(
      satelliteStateDocument("https://h", groups.slice(0, 1), undefined, "original"),
    );
  });

  it("writes the config object itself as config state", () => {
    expect(JSON.parse(configStateDocument({ app_config: { log_level: "info" }, zot_config: {} }))).toEqual({
      app_config: { log_level: "info" },
      zot_config: {},
    });
  });
});
