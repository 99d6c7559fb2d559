import { pino } from "pino";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { openTempStore } from "../store/test-helpers.js";
import { startRegistryServer } from "./server.js";

describe("refusal logging", () => {
  it("writes at most 30 warn lines a minute however many anonymous writes are refused, and keeps serving", async () => {
    const lines: { level: number; msg: string; suppressed?: number }[] = [];
    const logger = pino(
      { level: "info" },
      new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }),
    );
    const { store, cleanup } = await openTempStore();
    const server = await startRegistryServer({ store, logger, host: "127.0.0.1", port: 0, readOnly: true });
    try {
      for (let i = 0; i < 200; i++) {
        const res = await fetch(`${server.url}/v2/app/manifests/v${i}`, { method: "PUT", body: "{}" });
        expect(res.status).toBe(405);
      }
      const refusals = lines.filter((l) => l.level === 40);
      expect(refusals.length).toBe(30);
      // Still serving.
      expect((await fetch(`${server.url}/v2/`)).status).toBe(200);
    } finally {
      await server.close();
      await cleanup();
    }
  });
});
