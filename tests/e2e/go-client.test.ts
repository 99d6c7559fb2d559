// The generated Go client, used as a Go user would: examples/go-client is built offline
// (examples/go-client/build-offline.sh: GOPATH mode against Debian's grpc-go and this checkout's
// gen/go) and run against a real `ground-control` process (PGlite; Harbor emulated over a real
// docker-registry, so state artifacts publish and the satellites' robots exist). It logs in over
// gRPC on h2c and prints the fleet as a table with each satellite's drift verdict; the satellites
// were made with the TypeScript admin clients: one holding its group's image, one failing it, one
// never heard from. Go is required: .ci/run installs it (Debian's golang-go and grpc-go packages).
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DriftState,
  HeartbeatService,
  type SyncRequestSchema,
} from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { adminClients, type AdminClients } from "@harbor-satellite/testkit/ground-control-admin";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { HARBOR, startGroundControlProcess } from "./ground-control-process.js";
import { REPO_ROOT, eventually, type RunningProcess } from "./processes.js";

const run = promisify(execFile);
const ADMIN_PASSWORD = "e2e-go-client-password";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built client with `env` added (and GROUND_CONTROL_PASSWORD only when given), writing `stdin`. */
function runClient(binary: string, args: string[], env: Record<string, string>, stdin = ""): Promise<Result> {
  const { GROUND_CONTROL_PASSWORD: _inherited, ...base } = process.env;
  const child = spawn(binary, args, { env: { ...base, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function requireGo(): Promise<void> {
  try {
    await run("go", ["version"]);
  } catch (error) {
    throw new Error(
      `the Go toolchain is required for this test and was not found (${(error as Error).message}): ` +
        "install Debian's golang-go golang-google-grpc-dev golang-github-golang-protobuf-1-5-dev (.ci/run does)",
      { cause: error },
    );
  }
}

describe("the generated Go client (examples/go-client) against a real Ground Control", () => {
  let registry: DockerRegistry;
  let emu: HarborEmulator;
  let gc: RunningProcess;
  let admin: AdminClients;
  let dirs: string[] = [];
  let url: string;
  let client: string;

  beforeAll(async () => {
    await requireGo();
    const [buildDir, dataDir] = [
      await mkdtemp(join(tmpdir(), "go-client-bin-")),
      await mkdtemp(join(tmpdir(), "go-client-gc-")),
    ];
    dirs = [buildDir, dataDir];
    client = join(buildDir, "go-client");
    const build = run(join(REPO_ROOT, "examples/go-client/build-offline.sh"), [client], { cwd: REPO_ROOT }).catch(
      (error: Error & { stderr?: string }) => {
        throw new Error(`building examples/go-client failed: ${error.stderr ?? error.message}`, { cause: error });
      },
    );

    registry = await startDockerRegistry();
    emu = await startHarborEmulator({
      adminUser: HARBOR.username,
      adminPassword: HARBOR.password,
      upstream: { url: registry.url },
    });
    ({ gc, url } = await startGroundControlProcess({ harborUrl: emu.url, adminPassword: ADMIN_PASSWORD, dataDir }));

    admin = await adminClients(url, ADMIN_PASSWORD);
    await admin.fleet.createGroup({ group: "web", artifacts: [{ repository: "apps/nginx", tags: ["1.27"] }] });
    await admin.fleet.createSatellite({ satellite: "edge-a", region: "eu-west", groups: ["web"] });
    await admin.fleet.createSatellite({ satellite: "edge-b", groups: ["web"] });
    await admin.fleet.createSatellite({ satellite: "edge-c" });
    await heartbeat("edge-a", {
      imageCount: 1,
      cachedImages: [{ reference: `127.0.0.1:8585/apps/nginx:1.27@sha256:${"a".repeat(64)}`, sizeBytes: 1024n }],
    });
    await heartbeat("edge-b", { errors: [{ reference: "apps/nginx:1.27", message: "upstream unreachable" }] });
    // Until the group's and the satellites' states are published, edge-a counts as converging.
    await eventually(
      async () => {
        const { drift } = await admin.heartbeat.getSatelliteDrift({ satellite: "edge-a" });
        if (drift?.state !== DriftState.IN_SYNC)
          throw new Error(`edge-a is ${DriftState[drift?.state ?? 0]}: ${drift?.reason}`);
      },
      30_000,
      "edge-a in sync",
    );
    await build;
  });

  afterAll(async () => {
    await gc?.stop();
    await emu?.stop();
    await registry?.stop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  /** Connect clients sending `authorization`. */
  const transportWith = (authorization: string) => {
    const header: Interceptor = (next) => (req) => {
      req.header.set("authorization", authorization);
      return next(req);
    };
    return createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors: [header] });
  };

  /** One heartbeat from `satellite`, with its robot's credentials (created by Ground Control's outbox). */
  async function heartbeat(
    satellite: string,
    report: Pick<MessageInitShape<typeof SyncRequestSchema>, "imageCount" | "cachedImages" | "errors">,
  ): Promise<void> {
    const { sessionToken } = await createClient(
      IdentityService,
      createConnectTransport({ baseUrl: url, httpVersion: "1.1" }),
    ).login({ username: "admin", password: ADMIN_PASSWORD });
    const robots = createClient(RegistryService, transportWith(`Bearer ${sessionToken}`));
    const { robot, secret } = await eventually(
      () => robots.rotateRobotSecret({ satellite }),
      30_000,
      `${satellite}'s robot account`,
    );
    const basic = `Basic ${Buffer.from(`${robot?.name}:${secret}`).toString("base64")}`;
    await createClient(HeartbeatService, transportWith(basic)).sync({
      satellite,
      stateReportInterval: "@every 00h00m30s",
      ...report,
    });
  }

  it("logs in over gRPC (h2c) and prints every satellite with its groups, health and drift verdict", async () => {
    const res = await runClient(client, ["-url", url, "-username", "admin"], {
      GROUND_CONTROL_PASSWORD: ADMIN_PASSWORD,
    });
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("3 satellite(s)");
    expect(lines[1].split(/\s{2,}/)).toEqual([
      "NAME",
      "REGION",
      "GROUPS",
      "CONFIG",
      "HEALTH",
      "LAST SEEN",
      "DRIFT",
      "REASON",
    ]);
    const rows = lines.slice(2).map((l) => l.split(/\s{2,}/));
    const seen = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+s ago\)$/);
    expect(rows).toEqual([
      [
        "edge-a",
        "eu-west",
        "web",
        "default",
        "online",
        seen,
        "in-sync",
        expect.stringMatching(/^all 1 desired image held/),
      ],
      [
        "edge-b",
        "default",
        "web",
        "default",
        "online",
        seen,
        "converging",
        expect.stringMatching(/apps\/nginx:1\.27: upstream unreachable/),
      ],
      ["edge-c", "default", "-", "default", "never-seen", "-", "never-seen", expect.any(String)],
    ]);
    // The reasons are Ground Control's, as the TypeScript client reads them.
    const { satellites } = await admin.heartbeat.listSatelliteDrift({});
    expect(rows.map((r) => r[7])).toEqual(satellites.map((d) => d.reason));
  });

  it("reads the password from standard input, and says which call failed on a wrong one", async () => {
    const ok = await runClient(client, ["-url", url], {}, `${ADMIN_PASSWORD}\n`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^edge-c\s/m);
    const wrong = await runClient(client, ["-url", url], {}, "not-the-password\n");
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^go-client: login: Unauthenticated: /);
    const usage = await runClient(client, ["-url", "ftp://example.com"], {}, "");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/the scheme must be http or https/);
  });
});
