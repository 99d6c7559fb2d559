// groundctl end to end: the real `bin/groundctl.mjs` as a child process against a real
// `ground-control` (PostgreSQL, Harbor emulated in front of a real docker-registry), as an operator
// or a script uses it: log in with the password on stdin, create groups from a YAML file and from
// --image flags, register a satellite, assign, issue a token captured from stdout (and enrol with
// it), read status and lists as table, JSON and YAML, fail with one line and the documented exit
// codes, log out.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { createHarborClient } from "@harbor-satellite/harbor";
import { freePort, startPostgres, type PostgresServer } from "@harbor-satellite/testkit";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { HARBOR, startGroundControlProcess } from "./ground-control-process.js";
import { REPO_ROOT, type RunningProcess } from "./processes.js";

const ADMIN_PASSWORD = "e2e-groundctl-admin-password";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stderr without the launcher's note about a stale dist/. */
  errors: string[];
}

describe("groundctl against a real Ground Control", () => {
  let pg: PostgresServer;
  let registry: DockerRegistry;
  let emu: HarborEmulator;
  let gc: RunningProcess;
  let url: string;
  let work: string;
  let configDir: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "groundctl-e2e-"));
    configDir = join(work, "config", "groundctl");
    [pg, registry] = await Promise.all([startPostgres(), startDockerRegistry()]);
    emu = await startHarborEmulator({
      adminUser: HARBOR.username,
      adminPassword: HARBOR.password,
      upstream: { url: registry.url },
    });
    await createHarborClient({ url: emu.url, ...HARBOR }).ensureProject("apps", { public: false });
    ({ gc, url } = await startGroundControlProcess({
      harborUrl: emu.url,
      adminPassword: ADMIN_PASSWORD,
      databaseUrl: await pg.createDatabase("gc_groundctl_e2e"),
    }));
  });

  afterAll(async () => {
    await gc?.stop();
    await emu?.stop();
    await Promise.all([registry?.stop(), pg?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Runs bin/groundctl.mjs with only the environment given (plus PATH and HOME), stdin as given. */
  const groundctl = (args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) =>
    new Promise<Result>((resolve, reject) => {
      const proc = spawn(process.execPath, [join(REPO_ROOT, "bin/groundctl.mjs"), ...args], {
        cwd: work,
        env: {
          PATH: process.env.PATH,
          HOME: work,
          HARBOR_SATELLITE_RUN: process.env.HARBOR_SATELLITE_RUN,
          GROUNDCTL_CONFIG_DIR: configDir,
          ...opts.env,
        },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      proc.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      proc.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      proc.on("error", reject);
      proc.on("close", (code) =>
        resolve({
          code,
          stdout,
          stderr,
          errors: stderr.split("\n").filter((l) => l !== "" && !l.startsWith("note: ")),
        }),
      );
      proc.stdin.end(opts.stdin ?? "");
    });
  const ok = async (args: string[], opts?: { stdin?: string; env?: NodeJS.ProcessEnv }) => {
    const res = await groundctl(args, opts);
    expect(res.code, `groundctl ${args.join(" ")}: ${res.stderr}`).toBe(0);
    return res;
  };

  it("logs in with the password on stdin and keeps the session readable by its owner only", async () => {
    const wrong = await groundctl(["login", "--url", url, "--username", "admin", "--password-stdin"], {
      stdin: "not-the-password\n",
    });
    expect(wrong.code).toBe(3);
    expect(wrong.errors).toEqual([expect.stringMatching(/^groundctl: unauthenticated: /)]);

    const res = await ok(["login", "--url", url, "--username", "admin", "--password-stdin"], {
      stdin: `${ADMIN_PASSWORD}\n`,
    });
    expect(res.stdout).toMatch(
      new RegExp(`^logged in to ${url} as admin until \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\n$`),
    );
    const file = join(configDir, "session.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, "utf8");
    expect(JSON.parse(text)).toMatchObject({ url, username: "admin", token: expect.any(String) });
    expect(text).not.toContain(ADMIN_PASSWORD);
  });

  it("creates a group from a YAML file and one from --image flags", async () => {
    const yamlFile = join(work, "web.yaml");
    await writeFile(
      yamlFile,
      [
        "name: web",
        "artifacts:",
        "  - repository: apps/nginx",
        "    tags: [1.27]",
        "  - repository: apps/alpine",
        "    tag: 3.20",
        "",
      ].join("\n"),
    );
    const web = await ok(["groups", "create", "-f", yamlFile, "-o", "json"]);
    expect(JSON.parse(web.stdout)).toMatchObject({
      name: "web",
      artifacts: [
        { repository: "apps/nginx", tags: ["1.27"] },
        { repository: "apps/alpine", tags: ["3.20"] },
      ],
    });
    const cache = await ok(["groups", "create", "cache", "--image", "apps/redis:7", "--image", "apps/redis:7.2"]);
    expect(cache.stdout).toMatch(/^Name: +cache$/m);
    expect(cache.stdout).toMatch(/^apps\/redis +7,7\.2 +- +image$/m);

    const again = await groundctl(["groups", "create", "cache", "--image", "apps/redis:7"]);
    expect(again.code).toBe(5);
    expect(again.errors).toEqual(['groundctl: already_exists: group "cache" already exists']);
  });

  it("registers a satellite, assigns it a group and issues a token a script captures from stdout", async () => {
    await ok(["satellites", "register", "edge-1", "--region", "eu-west"]);
    const assigned = await ok(["groups", "assign", "web", "edge-1"]);
    expect(assigned.stdout).toMatch(/^edge-1 +eu-west +default +web +\S+$/m);

    const issued = await ok(["tokens", "issue", "edge-1", "--ttl", "1h"]);
    expect(issued.stdout).toMatch(/^[0-9a-f]{32}\n$/);
    // The token is the real thing: the satellite enrols with it (once).
    const identity = createClient(IdentityService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
    const enrolled = await identity.tokenZtr({ token: issued.stdout.trim() });
    expect(enrolled.stateConfig?.satellite).toBe("edge-1");
  });

  it("shows satellites, groups and the fleet's status as a table, JSON and YAML", async () => {
    const table = await ok(["satellites", "list"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME +REGION +CONFIG +GROUPS +CREATED$/);
    expect(table.stdout).toMatch(/^edge-1 +eu-west +default +web +\d{4}-/m);
    const json = JSON.parse((await ok(["satellites", "list", "-o", "json"])).stdout);
    expect(json).toEqual([
      expect.objectContaining({ name: "edge-1", region: "eu-west", groups: ["web"], configName: "default" }),
    ]);
    const yaml = parseYaml((await ok(["satellites", "list", "--output", "yaml"])).stdout);
    expect(yaml).toEqual(json);

    const groups = JSON.parse((await ok(["groups", "list", "-o", "json"])).stdout);
    expect(groups.map((g: { name: string; satellites: string[] }) => [g.name, g.satellites])).toEqual([
      ["cache", []],
      ["web", ["edge-1"]],
    ]);

    const status = await ok(["status"]);
    expect(status.stdout).toMatch(
      /^HEALTH +SATELLITES\nonline +0\nstale +0\nnever_seen +1\ntotal +1\n\nDRIFT +SATELLITES\nin_sync +0\nconverging +0\nfailing +0\nstale +0\nnever_seen +1\n/,
    );
    expect(status.stdout).toMatch(/^NAME +REGION +HEALTH +DRIFT +LAST SEEN +IMAGES +FAILING +REASON$/m);
    expect(status.stdout).toMatch(/^edge-1 +eu-west +never_seen +never_seen +never +0 +0 +\S/m);
    const statusJson = JSON.parse((await ok(["status", "-o", "json"])).stdout);
    expect(statusJson).toMatchObject({
      total: 1,
      health: { online: 0, stale: 0, never_seen: 1 },
      drift: { in_sync: 0, converging: 0, failing: 0, stale: 0, never_seen: 1 },
      satellites: [{ name: "edge-1", health: "never_seen", drift: "never_seen" }],
    });
    expect(parseYaml((await ok(["status", "-o", "yaml"])).stdout)).toEqual(statusJson);
    // The same over HTTP/2 (h2c), and the process still ends once it has printed.
    expect(JSON.parse((await ok(["status", "--http2", "-o", "json"])).stdout)).toEqual(statusJson);

    const one = await ok(["satellites", "status", "edge-1"]);
    expect(one.stdout).toMatch(/^Health: +never_seen$/m);
    expect(one.stdout).toMatch(/^Drift: +never_seen$/m);
    expect(one.stdout).toMatch(/^Groups: +web$/m);
    expect(one.stdout).toMatch(/^Failing images: +0$/m);
    const oneJson = JSON.parse((await ok(["satellites", "status", "edge-1", "-o", "json"])).stdout);
    expect(oneJson).toMatchObject({
      status: { name: "edge-1", health: "HEALTH_NEVER_SEEN" },
      drift: { satellite: "edge-1", state: "DRIFT_STATE_NEVER_SEEN", groups: ["web"] },
    });
  });

  it("says what went wrong in one line, with the rpc's code and a distinct exit code", async () => {
    const missing = await groundctl(["satellites", "get", "nope"]);
    expect(missing.code).toBe(4);
    expect(missing.stdout).toBe("");
    expect(missing.errors).toEqual(['groundctl: not_found: satellite "nope" not found']);

    const emptied = await groundctl(["groups", "update", "web"]);
    expect(emptied.code).toBe(2);
    expect(emptied.errors[0]).toBe(
      'groundctl: this would remove every image from group "web": give -f FILE or --image, or --clear to empty it',
    );
    expect(JSON.parse((await ok(["groups", "get", "web", "-o", "json"])).stdout).artifacts).toHaveLength(2);

    const down = await groundctl(["status", "--url", `http://127.0.0.1:${await freePort()}`], {
      env: { GROUNDCTL_PASSWORD: ADMIN_PASSWORD },
    });
    expect(down.code).toBe(1);
    expect(down.errors).toEqual([expect.stringMatching(/^groundctl: unavailable: .*ECONNREFUSED/)]);
  });

  it("replaces a group's images, and empties one only when told to with --clear", async () => {
    await ok(["groups", "create", "scratch"]);
    const replaced = JSON.parse(
      (await ok(["groups", "update", "scratch", "--image", "apps/nginx:1.27", "-o", "json"])).stdout,
    );
    expect(replaced.artifacts).toEqual([expect.objectContaining({ repository: "apps/nginx", tags: ["1.27"] })]);
    const cleared = parseYaml((await ok(["groups", "update", "scratch", "--clear", "-o", "yaml"])).stdout) as {
      name: string;
      artifacts: unknown[];
    };
    expect(cleared).toMatchObject({ name: "scratch", artifacts: [] });
    expect(JSON.parse((await ok(["groups", "get", "scratch", "-o", "json"])).stdout).artifacts).toEqual([]);
    await ok(["groups", "delete", "scratch"]);
    expect((await groundctl(["groups", "get", "scratch"])).code).toBe(4);
  });

  it("takes admin Basic credentials from the environment instead of a session", async () => {
    const res = await ok(["satellites", "get", "edge-1", "-o", "json"], {
      env: { GROUNDCTL_URL: url, GROUNDCTL_PASSWORD: ADMIN_PASSWORD, GROUNDCTL_CONFIG_DIR: join(work, "elsewhere") },
    });
    expect(JSON.parse(res.stdout).name).toBe("edge-1");
  });

  it("logs out: the session is gone here and ended on Ground Control", async () => {
    const { token } = JSON.parse(await readFile(join(configDir, "session.json"), "utf8")) as { token: string };
    const out = await ok(["logout"]);
    expect(out.stdout).toBe(`logged out of ${url}\n`);
    await expect(stat(join(configDir, "session.json"))).rejects.toThrow(/ENOENT/);

    const notLoggedIn = await groundctl(["satellites", "list"]);
    expect(notLoggedIn.code).toBe(3);
    expect(notLoggedIn.errors).toEqual([expect.stringMatching(/^groundctl: not logged in: run groundctl login/)]);

    const ended = await groundctl(["satellites", "list"], { env: { GROUNDCTL_URL: url, GROUNDCTL_TOKEN: token } });
    expect(ended.code).toBe(3);
    expect(ended.errors).toEqual([
      expect.stringMatching(/^groundctl: unauthenticated: .*\(run groundctl login, or set GROUNDCTL_TOKEN\)$/),
    ]);
  });
});
