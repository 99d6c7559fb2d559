import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemDockerControl, type DaemonControl } from "./docker-control.js";
import { configureDocker } from "./docker.js";
import { RuntimeConfigError } from "./runtime-result.js";

let dir: string;
let path: string;
const now = new Date("2024-05-06T07:08:09Z");
const ORIGINAL = JSON.stringify({ "log-driver": "journald" });

/**
 * A dockerd stand-in: reads daemon.json when reloaded or restarted and then reports its mirrors.
 * `reloads` says whether a reload applies registry-mirrors; `starts(config)` whether a restart with
 * that daemon.json comes up (a daemon that does not start answers nothing).
 */
function fakeDocker(behaviour: {
  reloads: boolean;
  starts: (config: Record<string, unknown>) => boolean;
  reloadFails?: boolean;
}) {
  const calls: string[] = [];
  let running: string[] | undefined = [];
  const read = async () => JSON.parse(await readFile(path, "utf8").catch(() => "{}")) as Record<string, unknown>;
  const control: DaemonControl = {
    reload: async () => {
      calls.push("reload");
      if (behaviour.reloadFails) throw new Error("Job for docker.service failed");
      if (behaviour.reloads && running) running = ((await read())["registry-mirrors"] as string[] | undefined) ?? [];
    },
    restart: async () => {
      calls.push("restart");
      const config = await read();
      running = behaviour.starts(config) ? ((config["registry-mirrors"] as string[] | undefined) ?? []) : undefined;
      if (!running) throw new Error("Job for docker.service failed because the control process exited with error code");
    },
    mirrors: async () => {
      calls.push("info");
      if (!running) throw new Error("Cannot connect to the Docker daemon");
      return running.map((m) => `${m}/`);
    },
  };
  return { control, calls };
}

let clock = 0;
const timing = { readyTimeoutMs: 3, pollMs: 1, sleep: async (ms: number) => void (clock += ms), now: () => clock };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-docker-ctl-"));
  path = join(dir, "daemon.json");
  await writeFile(path, ORIGINAL);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("docker: applying daemon.json to the running dockerd", () => {
  it("reloads (SIGHUP, containers keep running) and checks dockerd lists the mirror; no restart", async () => {
    const docker = fakeDocker({ reloads: true, starts: () => true });
    const result = await configureDocker({
      mirror: "0.0.0.0:8585",
      daemonJsonPath: path,
      now,
      apply: { control: docker.control, ...timing },
    });
    expect(docker.calls).toEqual(["reload", "info"]);
    expect(result.restartRequired).toBe(false);
    expect(result.notes).toEqual(["dockerd reloaded and lists the mirror"]);
    expect(JSON.parse(await readFile(path, "utf8"))["registry-mirrors"]).toEqual(["http://127.0.0.1:8585"]);
  });

  it("restarts, as the original did, when a reload does not apply the mirror", async () => {
    const docker = fakeDocker({ reloads: false, starts: () => true, reloadFails: true });
    const result = await configureDocker({
      mirror: "0.0.0.0:8585",
      daemonJsonPath: path,
      now,
      apply: { control: docker.control, ...timing },
    });
    expect(docker.calls[0]).toBe("reload");
    expect(docker.calls.slice(1)).toEqual(["restart", "info"]);
    expect(result.notes).toEqual([
      "docker reload failed: Job for docker.service failed",
      "dockerd restarted and lists the mirror",
    ]);
  });

  it("rolls daemon.json back and restarts dockerd when it does not come back with the mirror", async () => {
    // This dockerd refuses to start with any registry-mirrors (say, a bad drop-in elsewhere).
    const docker = fakeDocker({ reloads: false, starts: (config) => config["registry-mirrors"] === undefined });
    const failure = configureDocker({
      mirror: "0.0.0.0:8585",
      daemonJsonPath: path,
      now,
      apply: { control: docker.control, ...timing },
    });
    await expect(failure).rejects.toThrow(RuntimeConfigError);
    await expect(failure).rejects.toThrow(
      /did not come back with mirror http:\/\/127\.0\.0\.1:8585; .*daemon\.json rolled back from .*daemon\.json\.bak\.20240506T070809, docker answers again/,
    );
    expect(await readFile(path, "utf8")).toBe(ORIGINAL);
    expect(docker.calls.filter((c) => c !== "info")).toEqual(["reload", "restart", "restart"]);
    expect(await docker.control.mirrors()).toEqual([]);
  });

  it("removes a daemon.json it created when dockerd does not come back, and says when dockerd stays down", async () => {
    await rm(path);
    const docker = fakeDocker({ reloads: false, starts: () => false });
    await expect(
      configureDocker({
        mirror: "0.0.0.0:8585",
        daemonJsonPath: path,
        now,
        apply: { control: docker.control, ...timing },
      }),
    ).rejects.toThrow(/removed: it did not exist before\), docker does not answer/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("touches nothing when daemon.json already lists the mirror, and leaves it to the operator without a control", async () => {
    const docker = fakeDocker({ reloads: true, starts: () => true });
    const first = await configureDocker({ mirror: "0.0.0.0:8585", daemonJsonPath: path, now });
    expect(first.restartRequired).toBe(true);
    expect(first.notes.join()).toMatch(/systemctl reload docker/);
    const again = await configureDocker({
      mirror: "0.0.0.0:8585",
      daemonJsonPath: path,
      now,
      apply: { control: docker.control, ...timing },
    });
    expect(again.files[0].changed).toBe(false);
    expect(docker.calls).toEqual([]);
  });
});

describe("the system docker control", () => {
  it("without systemctl, reloads by SIGHUP to dockerd's pid; reads the mirrors from `docker info`", async () => {
    const daemon = spawn(
      process.execPath,
      [
        "-e",
        'process.on("SIGHUP", () => { process.stdout.write("hup"); process.exit(0); }); process.stdout.write("ready"); setInterval(() => {}, 1000);',
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    try {
      await once(daemon.stdout!, "data");
      await writeFile(join(dir, "docker.pid"), `${daemon.pid}\n`);
      const docker = join(dir, "docker");
      await writeFile(docker, `#!/bin/sh\necho '["http://127.0.0.1:8585/"]'\n`);
      await chmod(docker, 0o755);
      const control = systemDockerControl({
        systemctl: join(dir, "no-systemctl"),
        docker,
        pidFile: join(dir, "docker.pid"),
      });
      const hup = once(daemon.stdout!, "data");
      const exited = once(daemon, "exit");
      await control.reload();
      const [[output]] = (await Promise.all([hup, exited])) as [[Buffer], unknown];
      expect(String(output)).toBe("hup");
      expect(await control.mirrors()).toEqual(["http://127.0.0.1:8585/"]);
      await expect(control.restart()).rejects.toThrow(/ENOENT/);
    } finally {
      daemon.kill();
    }
  });
});
