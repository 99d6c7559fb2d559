import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { startedByNpm } from "./shutdown.js";

const SHUTDOWN_MODULE = new URL("./shutdown.ts", import.meta.url).href;

describe("startedByNpm", () => {
  it("recognises npm run/start and npx/npm exec by the variables npm sets", () => {
    expect(startedByNpm({ npm_lifecycle_event: "start" })).toBe(true);
    expect(startedByNpm({ npm_command: "exec" })).toBe(true);
    expect(startedByNpm({})).toBe(false);
  });
});

describe("waitForShutdown", () => {
  /** A parent that starts a child waiting for shutdown, then exits itself; resolves with what the child printed. */
  function orphanedChild(): Promise<string> {
    // A timer stands for the server that keeps a real process alive.
    const childScript = `
      setInterval(() => {}, 1000);
      const { waitForShutdown } = await import(${JSON.stringify(SHUTDOWN_MODULE)});
      const signal = await waitForShutdown({ graceMs: 5000, watchParent: true });
      process.stdout.write("stopping on " + signal + "\\n");
      process.exit(0);`;
    const parentScript = `
      const { spawn } = require("node:child_process");
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", ${JSON.stringify(childScript)}], { stdio: ["ignore", "inherit", "inherit"] });
      setTimeout(() => process.exit(0), 1500);`;
    const parent = spawn(process.execPath, ["-e", parentScript], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    parent.stdout.on("data", (c: Buffer) => (out += c.toString()));
    // The child keeps the pipe open after the parent is gone; its line arrives once it notices.
    return new Promise((resolve) => parent.stdout.once("end", () => resolve(out)));
  }

  it("stops a process whose parent went away, as npm's shell does on SIGTERM", async () => {
    expect(await orphanedChild()).toBe("stopping on parent-exited\n");
  }, 20_000);

  it("ends the process with exit 1 on a second signal", async () => {
    const script = `
      setInterval(() => {}, 1000);
      const { waitForShutdown } = await import(${JSON.stringify(SHUTDOWN_MODULE)});
      await waitForShutdown({ graceMs: 60000, watchParent: false, onForce: (why) => process.stdout.write(why + "\\n") });
      process.stdout.write("draining\\n");`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect([code, out]).toEqual([1, "draining\nsecond-signal\n"]);
  }, 20_000);
});
