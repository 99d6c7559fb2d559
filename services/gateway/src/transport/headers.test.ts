import type { IncomingHttpHeaders } from "node:http";
import { describe, expect, it } from "vitest";
import { webHeaders } from "./headers.js";

/** What webHeaders gave before it read lazily: every header copied into a Headers. */
function copied(headers: IncomingHttpHeaders): Headers {
  const result = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":")) continue;
    for (const v of Array.isArray(value) ? value : [value ?? ""]) result.append(name, v);
  }
  return result;
}

const NODE_HEADERS: IncomingHttpHeaders = {
  ":method": "POST",
  ":path": "/harbor.satellite.heartbeat.v1.HeartbeatService/Sync",
  host: "gc.example:8080",
  "content-type": "application/proto",
  authorization: "Basic cm9ib3QkYTpi",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  "set-cookie": ["a=1", "b=2"],
  accept: "application/proto, application/json",
};

describe("webHeaders", () => {
  it("answers get and has as a full copy would, names in any case", () => {
    const lazy = webHeaders(NODE_HEADERS);
    const full = copied(NODE_HEADERS);
    for (const name of ["Content-Type", "authorization", "TRACEPARENT", "set-cookie", "accept", "absent", "host"]) {
      expect(lazy.get(name)).toBe(full.get(name));
      expect(lazy.has(name)).toBe(full.has(name));
    }
    expect(lazy.get("absent")).toBeNull();
  });

  it("leaves HTTP/2 pseudo-headers out and refuses names Headers refuses", () => {
    const lazy = webHeaders(NODE_HEADERS);
    expect(() => lazy.get(":path")).toThrow(TypeError);
    expect(() => lazy.has("bad name")).toThrow(TypeError);
    expect([...lazy.keys()]).not.toContain(":path");
  });

  it("iterates, and is changed, like the copy", () => {
    const lazy = webHeaders(NODE_HEADERS);
    const full = copied(NODE_HEADERS);
    expect(lazy).toBeInstanceOf(Headers);
    expect([...lazy]).toEqual([...full]);
    const seen: [string, string][] = [];
    lazy.forEach((value, key) => seen.push([key, value]));
    expect(seen).toEqual([...full.entries()]);
    expect(lazy.getSetCookie()).toEqual(["a=1", "b=2"]);

    const changed = webHeaders(NODE_HEADERS);
    changed.set("authorization", "Bearer x");
    changed.append("accept", "text/plain");
    changed.delete("traceparent");
    expect(changed.get("authorization")).toBe("Bearer x");
    expect(changed.get("accept")).toBe("application/proto, application/json, text/plain");
    expect(changed.has("traceparent")).toBe(false);
    // The source object is Node's and stays as it was.
    expect(NODE_HEADERS.authorization).toBe("Basic cm9ib3QkYTpi");
  });
});
