import { describe, expect, it } from "vitest";
import { originOf, satelliteStateUrl } from "./public-url.js";

describe("public URL", () => {
  it("takes the origin of http(s) URLs, the same on every asking", () => {
    for (let i = 0; i < 2; i++) {
      expect(originOf("http://10.0.0.5:8080/harbor.satellite.heartbeat.v1.HeartbeatService/Sync")).toBe(
        "http://10.0.0.5:8080",
      );
      expect(originOf("https://GC.example.com/x?y=1")).toBe("https://gc.example.com");
      expect(originOf("https://gc.example.com:443/")).toBe("https://gc.example.com");
      expect(originOf("https://gc.example.com")).toBe("https://gc.example.com");
      expect(originOf("ftp://gc.example.com/x")).toBeUndefined();
      expect(originOf("not a url")).toBeUndefined();
    }
  });

  it("names a satellite's state the way enrolment does", () => {
    expect(satelliteStateUrl("https://gc.example.com/", "edge-1")).toBe(
      "https://gc.example.com/satellite/satellite-state/edge-1/state:latest",
    );
  });
});
