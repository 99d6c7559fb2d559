// SATELLITE_STATE_IN_HARBOR reaches the registry module from the config of the process that
// serves it, all services in one process or split with --services; a process that forwards the
// registry service says the setting does nothing there.
import { Writable } from "node:stream";
import { openMemoryDatabase, type DatabaseHandle } from "@harbor-satellite/db";
import { createLogger } from "@harbor-satellite/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "./config.js";
import { buildModules } from "./modules.js";

const HARBOR = { HARBOR_URL: "http://127.0.0.1:9", HARBOR_USERNAME: "admin", HARBOR_PASSWORD: "Harbor12345" };
const COST = "every satellite's robot can read every other satellite's state";

interface Line {
  level: string;
  msg: string;
  service?: string;
}

describe("registry module options from the gateway config", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openMemoryDatabase();
  });
  afterAll(async () => handle?.close());

  /** Builds this process's modules from argv and env; returns what they logged. */
  async function build(argv: string[], env: NodeJS.ProcessEnv): Promise<Line[]> {
    const config = parseConfig(argv, { ...HARBOR, ...env });
    if (config === "help") throw new Error("help");
    const lines: Line[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Line);
        cb();
      },
    });
    const { modules } = await buildModules(config, handle.db, createLogger({ name: "gc", level: "info", destination }));
    await Promise.all(modules.map((m) => m.stop?.()));
    return lines;
  }
  const costWarnings = (lines: Line[]) => lines.filter((l) => l.level === "warn" && l.msg.includes(COST));

  it("gives the registry module the mode in one process, which warns once about its cost", async () => {
    const on = await build(["--services", "registry"], { GC_INTERNAL_TOKEN: "t", SATELLITE_STATE_IN_HARBOR: "true" });
    expect(costWarnings(on)).toHaveLength(1);
    expect(costWarnings(on)[0].service).toBe("registry");
    expect(
      costWarnings(await build(["--services", "registry", "--satellite-state-in-harbor"], { GC_INTERNAL_TOKEN: "t" })),
    ).toHaveLength(1);
    expect(costWarnings(await build(["--services", "registry"], { GC_INTERNAL_TOKEN: "t" }))).toEqual([]);
  });

  it("in a process that forwards the registry service, says the setting belongs on the registry's process", async () => {
    const lines = await build(["--services", "heartbeat", "--remote", "registry=http://127.0.0.1:9001"], {
      GC_INTERNAL_TOKEN: "t",
      SATELLITE_STATE_IN_HARBOR: "true",
    });
    expect(costWarnings(lines)).toEqual([]);
    expect(lines.find((l) => l.msg.includes("SATELLITE_STATE_IN_HARBOR has no effect here"))).toMatchObject({
      level: "info",
    });
  });
});
