// groundctl from argv to exit code, in-process, against the in-memory Ground Control of testing.ts.
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { create } from "@bufbuild/protobuf";
import {
  DriftState,
  Health,
  SatelliteDriftSchema,
} from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { ExitCode } from "./exit-codes.js";
import { run } from "./run.js";
import {
  captureIo,
  createFakeGroundControl,
  FAKE_PASSWORD,
  fakeFailingDrift,
  fakeStatus,
  type FakeGroundControl,
} from "./testing.js";

const URL = "http://gc.test:8080";

describe("groundctl, in-process", () => {
  let dir: string;
  let fake: FakeGroundControl;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "groundctl-run-"));
    fake = createFakeGroundControl();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const groundctl = async (argv: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) => {
    const io = captureIo(fake, join(dir, "config"), opts.stdin, opts.env);
    const code = await run(argv, io);
    return { code, out: io.out, err: io.err };
  };
  const login = () => groundctl(["login", "--url", `${URL}/`, "--password-stdin"], { stdin: `${FAKE_PASSWORD}\n` });

  it("logs in with the password from stdin, stores the session 0600 with its URL, and uses it", async () => {
    const res = await login();
    expect(res).toMatchObject({ code: ExitCode.Ok, err: "" });
    expect(res.out).toBe(`logged in to ${URL} as admin until 2025-01-02T04:04:05Z\n`);
    const file = join(dir, "config", "session.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "config"))).mode & 0o777).toBe(0o700);
    const session = JSON.parse(await readFile(file, "utf8"));
    expect(session).toMatchObject({ url: URL, username: "admin", token: "session-1" });
    expect(JSON.stringify(session)).not.toContain(FAKE_PASSWORD);

    expect((await groundctl(["satellites", "register", "edge-1", "--region", "eu-west"])).code).toBe(ExitCode.Ok);
    expect(fake.targets.at(-1)).toMatchObject({
      url: URL,
      credentials: { kind: "bearer", token: "session-1" },
      source: "session",
    });
  });

  it("refuses a wrong password with exit 3 and stores nothing", async () => {
    const res = await groundctl(["login", "--url", URL, "--password-stdin"], { stdin: "nope\n" });
    expect(res.code).toBe(ExitCode.Unauthenticated);
    expect(res.err).toMatch(/^groundctl: unauthenticated: wrong user name or password/);
    await expect(stat(join(dir, "config", "session.json"))).rejects.toThrow(/ENOENT/);
  });

  it("says not logged in (exit 3) without a session, and after logout", async () => {
    let res = await groundctl(["satellites", "list"]);
    expect(res.code).toBe(ExitCode.Unauthenticated);
    expect(res.err).toMatch(/^groundctl: not logged in/);
    await login();
    res = await groundctl(["logout"]);
    expect(res).toMatchObject({ code: ExitCode.Ok, out: `logged out of ${URL}\n` });
    expect(fake.sessions.size).toBe(0);
    res = await groundctl(["satellites", "list"]);
    expect(res.code).toBe(ExitCode.Unauthenticated);
    // With a token from the environment but a session Ground Control has ended: its code, exit 3.
    res = await groundctl(["satellites", "list"], { env: { GROUNDCTL_URL: URL, GROUNDCTL_TOKEN: "session-1" } });
    expect(res.code).toBe(ExitCode.Unauthenticated);
    expect(res.err).toMatch(/^groundctl: unauthenticated: a session or admin credentials are required/);
  });

  it("prints a not-found error in one line with its code, exit 4", async () => {
    await login();
    const res = await groundctl(["satellites", "get", "nope"]);
    expect(res.code).toBe(ExitCode.NotFound);
    expect(res.err).toBe('groundctl: not_found: satellite "nope" not found\n');
    expect(res.out).toBe("");
  });

  it("maps already_exists and failed_precondition to exit 5", async () => {
    await login();
    await groundctl(["satellites", "register", "edge-1"]);
    expect((await groundctl(["satellites", "register", "edge-1"])).code).toBe(ExitCode.Conflict);
    await groundctl(["groups", "create", "web", "--image", "apps/nginx:1.27"]);
    await groundctl(["groups", "assign", "web", "edge-1"]);
    const res = await groundctl(["groups", "delete", "web"]);
    expect(res.code).toBe(ExitCode.Conflict);
    expect(res.err).toMatch(/^groundctl: failed_precondition: group "web" is assigned to edge-1\n$/);
    expect((await groundctl(["groups", "delete", "web", "--force"])).code).toBe(ExitCode.Ok);
  });

  it("creates groups from --image flags and from a YAML file, and shows them as table, json and yaml", async () => {
    await login();
    expect(
      (
        await groundctl([
          "groups",
          "create",
          "web",
          "--image",
          "apps/nginx:1.27",
          "--image",
          "apps/nginx:1.28",
          "--image",
          "apps/alpine:3.20",
        ])
      ).code,
    ).toBe(ExitCode.Ok);
    await writeFile(join(dir, "cache.yaml"), "name: cache\nartifacts:\n  - repository: apps/redis\n    tags: [7.10]\n");
    expect((await groundctl(["groups", "create", "-f", join(dir, "cache.yaml")])).code).toBe(ExitCode.Ok);
    expect(fake.calls).toEqual([
      'CreateGroup {"group":"web","artifacts":[{"repository":"apps/nginx","tags":["1.27","1.28"]},{"repository":"apps/alpine","tags":["3.20"]}]}',
      'CreateGroup {"group":"cache","artifacts":[{"repository":"apps/redis","tags":["7.10"]}]}',
    ]);
    const table = await groundctl(["groups", "list"]);
    expect(table.out).toBe(
      [
        "NAME   IMAGES                                 SATELLITES  UPDATED",
        "web    apps/nginx:1.27,1.28 apps/alpine:3.20  0           2025-01-02T03:04:05Z",
        "cache  apps/redis:7.10                        0           2025-01-02T03:04:05Z",
        "",
      ].join("\n"),
    );
    const json = JSON.parse((await groundctl(["groups", "list", "-o", "json"])).out);
    expect(json.map((g: { name: string }) => g.name)).toEqual(["web", "cache"]);
    expect(json[1]).toMatchObject({
      name: "cache",
      artifacts: [{ repository: "apps/redis", tags: ["7.10"] }],
      satellites: [],
    });
    const yaml = parseYaml((await groundctl(["groups", "get", "cache", "--output=yaml"])).out);
    expect(yaml).toMatchObject({ name: "cache", artifacts: [{ repository: "apps/redis", tags: ["7.10"] }] });
  });

  it("refuses an update that would empty a group unless --clear says so, before sending anything", async () => {
    await login();
    await groundctl(["groups", "create", "web", "--image", "apps/nginx:1.27"]);
    fake.calls.length = 0;
    let res = await groundctl(["groups", "update", "web"]);
    expect(res.code).toBe(ExitCode.Usage);
    expect(res.err).toMatch(
      /^groundctl: this would remove every image from group "web": give -f FILE or --image, or --clear to empty it\n/,
    );
    await writeFile(join(dir, "empty.yaml"), "artifacts: []\n");
    expect((await groundctl(["groups", "update", "web", "-f", join(dir, "empty.yaml")])).code).toBe(ExitCode.Usage);
    expect((await groundctl(["groups", "update", "web", "--clear", "--image", "apps/x:1"])).code).toBe(ExitCode.Usage);
    expect(fake.calls).toEqual([]);
    res = await groundctl(["groups", "update", "web", "--clear"]);
    expect(res.code).toBe(ExitCode.Ok);
    expect(fake.calls).toEqual(['UpdateGroup {"group":"web","artifacts":[],"clearArtifacts":true}']);
    fake.calls.length = 0;
    expect((await groundctl(["groups", "update", "web", "--image", "apps/nginx:1.28"])).code).toBe(ExitCode.Ok);
    expect(fake.calls).toEqual([
      'UpdateGroup {"group":"web","artifacts":[{"repository":"apps/nginx","tags":["1.28"]}],"clearArtifacts":false}',
    ]);
  });

  it("issues a token that is the only thing on stdout", async () => {
    await login();
    await groundctl(["satellites", "register", "edge-1"]);
    const res = await groundctl(["tokens", "issue", "edge-1", "--ttl", "1h30m"]);
    expect(res.code).toBe(ExitCode.Ok);
    expect(res.out).toBe("0123456789abcdef0123456789abcdef\n");
    expect(fake.calls.at(-1)).toBe('IssueZtrToken {"satellite":"edge-1","ttlSeconds":"5400"}');
    expect((await groundctl(["tokens", "issue", "edge-1", "--ttl", "soon"])).code).toBe(ExitCode.Usage);
  });

  it("summarizes the fleet by health and by drift, and shows one satellite's drifted images with reasons", async () => {
    await login();
    fake.statuses.set(
      "edge-1",
      fakeStatus("edge-1", Health.ONLINE, [{ reference: "apps/redis:7", message: "manifest unknown" }]),
    );
    fake.statuses.set("edge-2", fakeStatus("edge-2", Health.NEVER_SEEN));
    fake.drift!.set("edge-1", fakeFailingDrift("edge-1"));
    fake.drift!.set(
      "edge-2",
      create(SatelliteDriftSchema, {
        satellite: "edge-2",
        state: DriftState.NEVER_SEEN,
        reason: "never sent a heartbeat",
      }),
    );
    const summary = await groundctl(["status"]);
    expect(summary.out).toBe(
      [
        "HEALTH      SATELLITES",
        "online      1",
        "stale       0",
        "never_seen  1",
        "total       2",
        "",
        "DRIFT       SATELLITES",
        "in_sync     0",
        "converging  0",
        "failing     1",
        "stale       0",
        "never_seen  1",
        "",
        "NAME    REGION   HEALTH      DRIFT       LAST SEEN  IMAGES  FAILING  REASON",
        "edge-1  eu-west  online      failing     42s ago    2       1        2 of 3 images drifted: apps/nginx:1.27 missing, apps/redis:7 error",
        "edge-2  eu-west  never_seen  never_seen  never      0       0        never sent a heartbeat",
        "",
      ].join("\n"),
    );
    const json = JSON.parse((await groundctl(["status", "-o", "json"])).out);
    expect(json).toMatchObject({
      total: 2,
      health: { online: 1, stale: 0, never_seen: 1 },
      drift: { failing: 1, never_seen: 1, in_sync: 0 },
    });
    expect(json.satellites[0]).toMatchObject({ name: "edge-1", health: "online", drift: "failing", driftedImages: 2 });

    const one = await groundctl(["satellites", "status", "edge-1"]);
    expect(one.out).toContain("Health:           online\n");
    expect(one.out).toContain("Last seen:        2025-01-02T03:03:23Z (42s ago)\n");
    expect(one.out).toContain("Drift:            failing\n");
    expect(one.out).toMatch(
      /IMAGE +DRIFT +DESIRED +CACHED +GROUPS +REASON\napps\/nginx:1\.27 +missing +sha256:cccccccccccc… +- +web +-\napps\/redis:7 +error +- +- +web +manifest unknown upstream said 404\n$/,
    );
    const data = JSON.parse((await groundctl(["satellites", "status", "edge-1", "-o", "json"])).out);
    expect(data.status).toMatchObject({ name: "edge-1", health: "HEALTH_ONLINE" });
    expect(data.drift).toMatchObject({ state: "DRIFT_STATE_FAILING", imageDriftCount: 2 });
  });

  it("leaves drift out against a Ground Control without the drift rpcs, showing failing images instead", async () => {
    fake = createFakeGroundControl({ drift: false });
    await login();
    fake.statuses.set(
      "edge-1",
      fakeStatus("edge-1", Health.ONLINE, [
        { reference: "apps/redis:7", message: "manifest unknown\nupstream said 404" },
      ]),
    );
    const summary = await groundctl(["status"]);
    expect(summary.code).toBe(ExitCode.Ok);
    expect(summary.out).not.toMatch(/DRIFT/);
    expect(summary.out).toMatch(
      /^NAME +REGION +HEALTH +LAST SEEN +IMAGES +FAILING\nedge-1 +eu-west +online +42s ago +2 +1\n$/m,
    );
    expect(JSON.parse((await groundctl(["status", "-o", "json"])).out).drift).toBeUndefined();
    const one = await groundctl(["satellites", "status", "edge-1"]);
    expect(one.out).not.toMatch(/Drift:/);
    expect(one.out).toMatch(/IMAGE +REASON\napps\/redis:7 +manifest unknown upstream said 404\n$/);
  });

  it("exits 2 for usage errors and prints help with the exit codes", async () => {
    expect((await groundctl(["frobnicate"])).code).toBe(ExitCode.Usage);
    expect((await groundctl(["satellites", "get"])).err).toMatch(
      /^groundctl: missing the satellite's NAME\nRun 'groundctl satellites get --help' for usage.\n$/,
    );
    expect((await groundctl(["satellites", "list", "--output", "xml"])).code).toBe(ExitCode.Usage);
    expect((await groundctl(["login", "--url", "ftp://x"], { stdin: "pw" })).code).toBe(ExitCode.Usage);
    expect((await groundctl(["login", "--url", URL])).err).toMatch(/--password-stdin/);
    const help = await groundctl(["--help"]);
    expect(help.code).toBe(ExitCode.Ok);
    expect(help.out).toMatch(
      /Exit codes:\n {2}0 {2}ok\n {2}1 .*\n {2}2 {2}usage.*\n {2}3 {2}not logged in.*\n {2}4 {2}not found\n {2}5 {2}already exists/,
    );
    expect((await groundctl(["groups", "update", "--help"])).out).toMatch(/--clear/);
    expect((await groundctl(["help", "tokens"])).out).toMatch(/tokens issue SATELLITE/);
  });

  it("sends a session only to the URL it was made for; environment credentials win", async () => {
    await login();
    const other = await groundctl(["satellites", "list", "--url", "http://elsewhere:8080"]);
    expect(other.code).toBe(ExitCode.Unauthenticated);
    expect(other.err).toMatch(
      /not logged in to http:\/\/elsewhere:8080 \(the stored session is for http:\/\/gc\.test:8080\)/,
    );
    expect(fake.targets.map((t) => t.url)).not.toContain("http://elsewhere:8080");
    await groundctl(["satellites", "list"], { env: { GROUNDCTL_PASSWORD: "pw" } });
    expect(fake.targets.at(-1)?.credentials).toEqual({ kind: "basic", username: "admin", password: "pw" });
  });
});
