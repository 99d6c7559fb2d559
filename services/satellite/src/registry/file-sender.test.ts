import { randomBytes } from "node:crypto";
import { open, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../store/test-helpers.js";
import { chunkSizeFor, MIN_SEND_CHUNK, SEND_BUDGET, SEND_CHUNK, sendFileRange } from "./file-sender.js";

describe("sendFileRange", () => {
  const data = randomBytes(SEND_CHUNK * 2 + 12345); // three reads, both buffers reused
  let server: Server;
  let url: string;
  let remove: () => Promise<void>;
  beforeAll(async () => {
    const dir = await tempDir();
    remove = dir.remove;
    const path = join(dir.dir, "blob");
    await writeFile(path, data);
    server = createServer(async (req, res) => {
      const [start, end] = (req.url ?? "").slice(1).split("-").map(Number);
      const handle = await open(path);
      res.writeHead(200, { "content-length": end - start + 1 });
      try {
        await sendFileRange(res, handle, start, end);
      } finally {
        await handle.close();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await remove();
  });

  it("sends exactly the bytes of any range, across buffer refills", async () => {
    const ranges: [number, number][] = [
      [0, data.length - 1],
      [1, SEND_CHUNK],
      [SEND_CHUNK - 1, SEND_CHUNK * 2 + 7],
      [data.length - 1, data.length - 1],
      [100, 199],
    ];
    for (const [start, end] of ranges) {
      const body = Buffer.from(await (await fetch(`${url}/${start}-${end}`)).arrayBuffer());
      expect(body.equals(data.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
    }
  });

  it("serves many concurrent readers without mixing their bytes", async () => {
    const bodies = await Promise.all(
      Array.from({ length: 8 }, async () =>
        Buffer.from(await (await fetch(`${url}/0-${data.length - 1}`)).arrayBuffer()),
      ),
    );
    for (const body of bodies) expect(body.equals(data)).toBe(true);
  });

  it("keeps every reader's bytes intact when many at once shrink the chunks and buffers are reused", async () => {
    // 40 streams: chunks of 256 KiB (24 MiB / 80 → 256 KiB), taken from and given back to the pool while others send.
    for (let wave = 0; wave < 2; wave++) {
      const bodies = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const start = i * 1000;
          const body = Buffer.from(await (await fetch(`${url}/${start}-${data.length - 1}`)).arrayBuffer());
          return { start, body };
        }),
      );
      for (const { start, body } of bodies) expect(body.equals(data.subarray(start)), `from ${start}`).toBe(true);
    }
  });
});

describe("chunkSizeFor", () => {
  it("gives one stream the full chunk and shares the budget among many, down to the floor", () => {
    expect(chunkSizeFor(1)).toBe(SEND_CHUNK);
    expect(chunkSizeFor(2)).toBe(SEND_CHUNK);
    expect(chunkSizeFor(4)).toBe(SEND_CHUNK / 2);
    expect(chunkSizeFor(8)).toBe(SEND_CHUNK / 4);
    expect(chunkSizeFor(96)).toBe(MIN_SEND_CHUNK);
    expect(chunkSizeFor(1000)).toBe(MIN_SEND_CHUNK);
    for (const streams of [1, 7, 13, 40, 90])
      expect(2 * streams * chunkSizeFor(streams)).toBeLessThanOrEqual(
        Math.max(SEND_BUDGET, 2 * streams * MIN_SEND_CHUNK),
      );
  });
});
