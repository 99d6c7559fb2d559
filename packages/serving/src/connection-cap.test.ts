import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { capConnections, sourceKey } from "./connection-cap.js";
import { closedWithin, openSocket } from "./test-support.js";

async function get(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } }).catch(() => undefined);
  return res?.status ?? 0;
}

describe("sourceKey", () => {
  it("counts IPv4 as is, unwraps IPv4-mapped IPv6, and groups IPv6 by /64", () => {
    expect(sourceKey("10.1.2.3")).toBe("10.1.2.3");
    expect(sourceKey("::ffff:10.1.2.3")).toBe("10.1.2.3");
    expect(sourceKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(sourceKey("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(sourceKey("::1")).toBe("0:0:0:0::/64");
    expect(sourceKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(sourceKey(undefined)).toBe("unknown");
  });
});

describe("capConnections", () => {
  let server: Server;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise((r) => server.close(r));
  });

  const start = async (max: number, perSource: number) => {
    server = createServer((_req, res) => res.end("ok"));
    const refusals: string[] = [];
    const cap = capConnections(
      server,
      { maxConnections: max, maxConnectionsPerSource: perSource },
      { onRefused: (reason) => refusals.push(reason) },
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { cap, refusals, port: (server.address() as AddressInfo).port };
  };

  it("closes a source's connections past its cap at once, and still serves other sources", async () => {
    const { cap, refusals, port } = await start(100, 3);
    for (let i = 0; i < 3; i++) sockets.push(await openSocket(port, "127.0.0.2"));
    const fourth = await openSocket(port, "127.0.0.2");
    sockets.push(fourth);
    expect(await closedWithin(fourth, 2000)).not.toBe("open");
    expect(refusals).toEqual(["per-source"]);
    expect(cap.openFrom("127.0.0.2")).toBe(3);
    // Another source is served, and the server is unharmed by having refused one.
    expect(await get(port)).toBe(200);
    // A freed slot is usable again.
    sockets[0].destroy();
    await new Promise((r) => setTimeout(r, 100));
    const again = await openSocket(port, "127.0.0.2");
    sockets.push(again);
    expect(await closedWithin(again, 300)).toBe("open");
  });

  it("refuses past the total cap and recovers when connections close", async () => {
    const { cap, refusals, port } = await start(4, 4);
    for (let i = 0; i < 4; i++) sockets.push(await openSocket(port, `127.0.0.${10 + i}`));
    await new Promise((r) => setTimeout(r, 50));
    expect(cap.open).toBe(4);
    const extra = await openSocket(port, "127.0.0.20");
    expect(await closedWithin(extra, 2000)).not.toBe("open");
    expect(refusals).toContain("total");
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(cap.open).toBe(0);
    expect(await get(port)).toBe(200);
  });
});
