// The README's run command: the quickstart brings up the whole loop and prints a pull command
// that works; Ctrl-C stops every process it started.
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "@harbor-satellite/testkit";
import { eventually, REPO_ROOT } from "@harbor-satellite/testkit/processes";

const run = promisify(execFile);

describe("quickstart", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("serves the seeded image from an enrolled satellite and prints a pull command that works", async () => {
    const [gcPort, satPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/quickstart/main.ts"], {
      cwd: REPO_ROOT,
      env: { ...process.env, QUICKSTART_GC_PORT: String(gcPort), QUICKSTART_SATELLITE_PORT: String(satPort) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    try {
      const command = await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`quickstart exited: ${out}`);
          const line = /skopeo copy .*$/m.exec(out);
          if (!line) throw new Error("no pull command yet");
          return line[0];
        },
        150_000,
        "the quickstart's pull command",
      );
      expect(out).toMatch(/enrolled and serving library\/hello:1\.0 after [\d.]+ s/);
      const dest = await mkdtemp(join(tmpdir(), "qs-pull-"));
      dirs.push(dest);
      const args = command
        .split(/\s+/)
        .slice(1)
        .map((a) => (a.startsWith("oci:") ? `oci:${dest}/hello:1.0` : a));
      await run("skopeo", args);
      const inspected = JSON.parse((await run("skopeo", ["inspect", `oci:${dest}/hello:1.0`])).stdout);
      expect(inspected.Layers).toHaveLength(1);
    } finally {
      child.kill("SIGINT");
      if (child.exitCode === null) await once(child, "exit");
    }
    // Everything it started is gone: nobody answers on its ports.
    for (const port of [gcPort, satPort]) {
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    }
  });

  it("refuses to start when a port it needs is taken, saying which, and creates nothing", async () => {
    const gcPort = await freePort();
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(gcPort, "127.0.0.1", r));
    try {
      const { code, output } = await runToExit(
        spawn(process.execPath, ["--import", "tsx", "scripts/quickstart/main.ts"], {
          cwd: REPO_ROOT,
          env: {
            ...process.env,
            QUICKSTART_GC_PORT: String(gcPort),
            QUICKSTART_SATELLITE_PORT: String(await freePort()),
          },
          stdio: ["ignore", "pipe", "pipe"],
        }),
      );
      expect(code).toBe(1);
      expect(output).toContain(
        `quickstart: port ${gcPort}, for Ground Control, is in use on 127.0.0.1: stop what holds it or set QUICKSTART_GC_PORT to another port`,
      );
      expect(output).not.toMatch(/dev upstream|enrolled/);
    } finally {
      holder.close();
    }
  });

  it("npm start: SIGTERM to npm's own pid stops the quickstart and every process it started", async () => {
    const [gcPort, satPort] = [await freePort(), await freePort()];
    const npm = spawn("npm", ["start", "--silent"], {
      cwd: REPO_ROOT,
      env: { ...process.env, QUICKSTART_GC_PORT: String(gcPort), QUICKSTART_SATELLITE_PORT: String(satPort) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    npm.stdout.on("data", (c) => (out += c));
    npm.stderr.on("data", (c) => (out += c));
    await eventually(
      async () => {
        if (npm.exitCode !== null) throw new Error(`npm start exited: ${out}`);
        if (!/skopeo copy/.test(out)) throw new Error("not up yet");
      },
      150_000,
      "the quickstart up under npm start",
    );
    npm.kill("SIGTERM");
    if (npm.exitCode === null) await once(npm, "exit");
    // Within a few seconds nothing answers on its ports and no process of it is left.
    await eventually(
      async () => {
        for (const port of [gcPort, satPort]) {
          const answered = await fetch(`http://127.0.0.1:${port}/`).then(
            () => true,
            () => false,
          );
          if (answered) throw new Error(`port ${port} still answers`);
        }
        const { stdout } = await run("ps", ["-eo", "args"]);
        const left = stdout
          .split("\n")
          .filter(
            (l) =>
              l.includes(`127.0.0.1:${satPort}`) ||
              l.includes(`--port ${gcPort}`) ||
              (l.includes("scripts/quickstart/main.ts") && l.includes("node")),
          );
        if (left.length) throw new Error(`still running: ${left.join(" | ")}`);
      },
      30_000,
      "everything npm start began gone",
    );
  });
});

function runToExit(child: ReturnType<typeof spawn>): Promise<{ code: number | null; output: string }> {
  let output = "";
  child.stdout?.on("data", (c) => (output += c));
  child.stderr?.on("data", (c) => (output += c));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}
