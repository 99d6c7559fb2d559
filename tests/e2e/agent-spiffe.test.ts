// Issue 4's end-to-end path in SPIFFE mode, with no pre-shared secret: a real `ground-control`
// serving mTLS with its SVID (from a fake SPIRE agent's Workload API) and registering the
// satellite with a fake SPIRE server; a real `satellite` enrolling with its own SVID and reading
// its satellite state from Ground Control over the same mTLS. Then:
// images served with upstream digests, skopeo pulls them, the upstream stops (still served, the
// heartbeat says so), the group changes (converges), Ground Control shows it online — and one
// trace id spans satellite → gateway → service → Harbor call.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRegistryClient, type RegistryClient } from "@harbor-satellite/oci";
import { freePort, type SyntheticImage } from "@harbor-satellite/testkit";
import { startDockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import type { HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { SPAN_KIND, startOtlpReceiver, type OtlpReceiver } from "@harbor-satellite/testkit/otlp-receiver";
import { waitForConvergedOnline, type AdminClients } from "./agent-helpers.js";
import { FAST_CONFIG, HARBOR, startFleetStack, type FleetStack } from "./fleet-stack.js";
import { eventually, GiveUp, type RunningProcess } from "./processes.js";
import { registerSpiffeSatellite, startSpiffeSatellite, type SpiffeTrust } from "./spiffe-stack.js";

const run = promisify(execFile);
const OTEL = (url: string) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: url,
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  OTEL_BSP_SCHEDULE_DELAY: "200",
});

describe("satellite agent, SPIFFE mode, end to end", () => {
  let otlp: OtlpReceiver;
  let stack: FleetStack;
  let trust: SpiffeTrust;
  let emu: HarborEmulator;
  let gc: RunningProcess;
  let sat: RunningProcess | undefined;
  let admin: AdminClients;
  let local: RegistryClient;
  let satPort: number;
  let work: string;
  let gcUrl: string;
  let images: Record<string, SyntheticImage>;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    stack = await startFleetStack({
      name: "spiffe-e2e",
      project: "apps",
      images: ["apps/nginx:1.27", "apps/alpine:3.20", "apps/redis:7"],
      layerSizes: [32 << 10],
      adminPassword: "e2e-spiffe-admin-password",
      proxy: true,
      spiffe: true,
      groundControlEnv: { LOG_LEVEL: "debug", ...OTEL(otlp.url) },
    });
    ({ admin, emu, gc, gcUrl, work, images } = stack);
    trust = stack.spiffe!;
    satPort = await freePort();
    local = createRegistryClient({ url: `http://127.0.0.1:${satPort}`, retry: { attempts: 1 } });
  });

  afterAll(async () => {
    local?.close();
    await sat?.stop();
    await stack?.stop();
    await otlp?.stop();
  });

  const localDigest = async (repo: string, tag: string) => (await local.headManifest(repo, tag))?.digest;
  const status = async () => (await admin.heartbeat.getSatelliteStatus({ satellite: "edge-1" })).status!;

  it("registers with SPIRE, enrols over mTLS with its SVID, and serves the group with upstream digests", async () => {
    await admin.fleet.createConfig({ config: "fast", configJson: JSON.stringify(FAST_CONFIG) });
    await admin.fleet.createGroup({
      group: "web",
      artifacts: [
        { repository: "apps/nginx", tags: ["1.27"] },
        { repository: "apps/alpine", tags: ["3.20"] },
      ],
    });
    // The edge SPIRE agent attests once with the join token; then its Workload API issues the SVID.
    const reg = await registerSpiffeSatellite(admin, trust, {
      satellite: "edge-1",
      region: "eu",
      groups: ["web"],
      config: "fast",
    });
    expect(reg.spiffeId).toBe(`spiffe://${trust.trustDomain}/satellite/region/eu/edge-1`);
    await expect(trust.spire.attestAgent(reg.joinToken!.value)).rejects.toThrow();

    const started = performance.now();
    sat = startSpiffeSatellite({
      gcUrl,
      trust,
      dataDir: join(work, "satellite"),
      registryPort: satPort,
      env: { LOG_LEVEL: "debug", ...OTEL(otlp.url) },
    });
    const watch = sat;
    const served = await eventually(
      async () => {
        if (watch.proc.exitCode !== null)
          throw new GiveUp(`satellite exited with ${watch.proc.exitCode}: ${watch.output()}`);
        const [nginx, alpine] = await Promise.all([
          localDigest("apps/nginx", "1.27"),
          localDigest("apps/alpine", "3.20"),
        ]);
        if (!nginx || !alpine) throw new Error("images not served yet");
        return { nginx, alpine };
      },
      90_000,
      "both images served by the satellite",
    );
    process.stdout.write(
      `agent-spiffe e2e: satellite start → enrolled over SPIFFE mTLS → both images served: ${Math.round(performance.now() - started)} ms\n`,
    );
    expect(served).toEqual({
      nginx: images["apps/nginx"].manifestDigest,
      alpine: images["apps/alpine"].manifestDigest,
    });
    // Its satellite state came from Ground Control over mTLS (Harbor holds none), the rest from Harbor.
    expect((await admin.fleet.getSatellite({ satellite: "edge-1" })).satellite?.stateUrl).toBe(
      `${gcUrl}/satellite/satellite-state/edge-1/state:latest`,
    );
    await run("skopeo", [
      "copy",
      "--src-tls-verify=false",
      `docker://127.0.0.1:${satPort}/apps/nginx:1.27`,
      `dir:${join(work, "pulled")}`,
    ]);
    // The robot secret travelled over mTLS only: it is in no log line of either process.
    const robot = [...emu.state.robots.values()].find((r) => r.name === "edge-1");
    expect(robot?.secret).toBeTruthy();
    expect(watch.output()).not.toContain(robot!.secret);
    expect(gc.output()).not.toContain(robot!.secret);
    expect(watch.output()).toMatch(/"trace_id":"[0-9a-f]{32}"/);
  });

  it("keeps serving with the upstream down, reports it, and converges once it is back and the group changed", async () => {
    // A second group, published to Harbor while it is up, to hand the satellite during the outage.
    await admin.fleet.createGroup({ group: "cache", artifacts: [{ repository: "apps/redis", tags: ["7"] }] });
    const harbor = createRegistryClient({ url: emu.url, credentials: HARBOR, retry: { attempts: 1 } });
    await eventually(
      async () => {
        if (!(await harbor.headManifest("satellite/group-state/cache/state", "latest")))
          throw new Error("not published yet");
      },
      60_000,
      "the cache group state published",
    ).finally(() => harbor.close());
    await stack.upstream!.stop();
    stack.upstream = undefined;
    expect(await localDigest("apps/nginx", "1.27")).toBe(images["apps/nginx"].manifestDigest);
    // While its satellite state (on Ground Control, still up) is unchanged the satellite needs
    // nothing from Harbor, so there is nothing to fail. A new group makes it go to Harbor.
    await admin.fleet.assignGroup({ satellite: "edge-1", group: "cache" });
    await eventually(
      async () => {
        if (!(await status()).latest?.errors.length) throw new Error("no error reported yet");
      },
      90_000,
      "a heartbeat reporting the failed pass",
    );

    stack.upstream = await startDockerRegistry({ dir: stack.storage });
    stack.proxy!.retarget(stack.upstream.port);
    await admin.fleet.updateGroup({
      group: "web",
      artifacts: [
        { repository: "apps/alpine", tags: ["3.20"] },
        { repository: "apps/redis", tags: ["7"] },
      ],
    });
    await eventually(
      async () => {
        const [nginx, redis] = await Promise.all([localDigest("apps/nginx", "1.27"), localDigest("apps/redis", "7")]);
        if (nginx !== undefined || redis !== images["apps/redis"].manifestDigest)
          throw new Error(`nginx ${nginx ?? "gone"}, redis ${redis ?? "missing"}`);
      },
      120_000,
      "nginx removed and redis replicated",
    );
    const online = await waitForConvergedOnline(admin, "edge-1", { count: 2, including: "apps/redis:7" });
    expect(online.region).toBe("eu");
  });

  it("carries one trace id from the satellite through the gateway and services to the Harbor call", async () => {
    const trace = await eventually(
      async () => {
        const enrol = otlp.spans.find((s) => s.service === "satellite" && s.name === "satellite.enrol");
        if (!enrol) throw new Error("no enrolment span exported yet");
        const spans = otlp.spans.filter((s) => s.traceId === enrol.traceId);
        const names = spans.map((s) => `${s.service}:${s.name}`);
        // Harbor calls are HTTP client spans (`PATCH /api/v2.0/robots/{robot_id}`) naming the operation.
        const harborCalls = spans
          .filter(
            (s) => s.service === "ground-control" && s.kind === SPAN_KIND.CLIENT && s.attributes["harbor.operation"],
          )
          .map((s) => s.attributes["harbor.operation"]);
        if (harborCalls.length === 0) throw new Error(`trace so far: ${names.join(", ")}`);
        return { names, harborCalls };
      },
      30_000,
      "the enrolment trace exported by both processes",
    );
    expect(trace.names).toEqual(
      expect.arrayContaining([
        "satellite:satellite.enrol",
        "ground-control:harbor.satellite.identity.v1.IdentityService/SpiffeZtr",
        "ground-control:harbor.satellite.registry.v1.RegistryService/RotateRobotSecret",
      ]),
    );
    expect(trace.harborCalls).toContain("RefreshSec");
  });
});
