// Traces end to end, every part real: PostgreSQL, docker-registry behind the Harbor emulator, a
// `ground-control` process and a `satellite` agent process, both exporting OTLP/HTTP JSON to a
// receiver. The admin sets up a group of two images and one Harbor lacks; the satellite enrols
// with a token, replicates and heartbeats. Then the exported spans are checked against
// observability/spans.md: a pass with its state reads, images and blobs; the failed image with
// its reason; one trace id from the satellite's enrolment through Ground Control's rpc spans to
// the Harbor call; rpc spans per the RPC conventions; and log lines carrying the trace ids.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRegistryClient, type RegistryClient } from "@harbor-satellite/oci";
import { freePort } from "@harbor-satellite/testkit";
import {
  SPAN_KIND,
  spanCatalogue,
  startOtlpReceiver,
  STATUS_CODE,
  type OtlpReceiver,
  type ReceivedSpan,
} from "@harbor-satellite/testkit/otlp-receiver";
import { startFleetStack, type FleetStack } from "./fleet-stack.js";
import { eventually, GiveUp, type RunningProcess } from "./processes.js";
import { createEdgeSite, startSatelliteProcess } from "./agent-helpers.js";

const ADMIN_PASSWORD = "e2e-traces-admin-password";
const OTEL = (url: string) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: url,
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  OTEL_BSP_SCHEDULE_DELAY: "200",
  OTEL_METRICS_EXPORTER: "none",
});
const TOKEN_ZTR = "harbor.satellite.identity.v1.IdentityService/TokenZtr";
const ROTATE = "harbor.satellite.registry.v1.RegistryService/RotateRobotSecret";
const SYNC = "harbor.satellite.heartbeat.v1.HeartbeatService/Sync";

describe("traces, end to end", () => {
  let otlp: OtlpReceiver;
  let stack: FleetStack;
  let sat: RunningProcess | undefined;
  let local: RegistryClient;

  const spans = (filter: Partial<Pick<ReceivedSpan, "service" | "name" | "traceId" | "parentSpanId">>) =>
    otlp.spans.filter((s) => Object.entries(filter).every(([k, v]) => s[k as keyof ReceivedSpan] === v));
  const childrenOf = (parent: ReceivedSpan, name?: string) =>
    otlp.spans.filter(
      (s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId && (!name || s.name === name),
    );

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    stack = await startFleetStack({
      name: "traces-e2e",
      project: "apps",
      images: ["apps/nginx:1.27", "apps/alpine:3.20"],
      adminPassword: ADMIN_PASSWORD,
      groundControlEnv: { ...OTEL(otlp.url), LOG_LEVEL: "debug" },
    });
    const satPort = await freePort();
    local = createRegistryClient({ url: `http://127.0.0.1:${satPort}`, retry: { attempts: 1 } });
    const { admin } = stack;
    await createEdgeSite(admin, {
      satellite: "edge-1",
      group: "web",
      artifacts: [
        { repository: "apps/nginx", tags: ["1.27"] },
        { repository: "apps/alpine", tags: ["3.20"] },
        { repository: "apps/missing", tags: ["1"] },
      ],
    });
    const { token } = await admin.identity.issueZtrToken({ satellite: "edge-1" });
    sat = startSatelliteProcess({
      gcUrl: stack.gcUrl,
      dataDir: join(stack.work, "satellite"),
      registryPort: satPort,
      args: ["--token", token],
      env: { LOG_LEVEL: "info", ...OTEL(otlp.url) },
    });
    const running = sat;
    await eventually(
      async () => {
        if (running.proc.exitCode !== null)
          throw new GiveUp(`satellite exited with ${running.proc.exitCode}: ${running.output()}`);
        const served = await Promise.all([
          local.headManifest("apps/nginx", "1.27"),
          local.headManifest("apps/alpine", "3.20"),
        ]);
        if (served.some((m) => !m)) throw new Error("images not served yet");
        // A pass's span ends (and is exported) after its images'.
        const copied = otlp.spans.find(
          (s) => s.name === "satellite.image.replicate" && s.attributes["satellite.image.outcome"] === "copied",
        );
        if (!copied || !otlp.spans.some((s) => s.spanId === copied.parentSpanId))
          throw new Error("no pass that copied an image exported yet");
        if (!otlp.spans.some((s) => s.name === SYNC)) throw new Error("no heartbeat span exported yet");
      },
      120_000,
      "both images served and their spans exported",
    );
  });

  afterAll(async () => {
    local?.close();
    await sat?.stop();
    await stack?.stop();
    await otlp?.stop();
  });

  it("exports a pass as satellite.pass → satellite.state.fetch and satellite.image.replicate → satellite.blob.copy", async () => {
    // The pass that copied the images (later passes find them unchanged).
    const copiedImage = spans({ service: "satellite", name: "satellite.image.replicate" }).find(
      (s) => s.attributes["satellite.image.outcome"] === "copied",
    )!;
    const [pass] = otlp.spans.filter((s) => s.spanId === copiedImage.parentSpanId);
    expect(pass).toMatchObject({
      name: "satellite.pass",
      service: "satellite",
      parentSpanId: "",
      kind: SPAN_KIND.INTERNAL,
    });
    expect(pass.attributes).toMatchObject({
      "satellite.name": "edge-1",
      "satellite.pass.outcome": "partial",
      "error.type": "partial",
    });
    expect(pass.status.code).toBe(STATUS_CODE.ERROR);

    const fetches = childrenOf(pass, "satellite.state.fetch");
    expect(fetches.map((s) => s.attributes["satellite.state.kind"]).sort()).toEqual(["config", "group", "satellite"]);
    for (const fetch of fetches) {
      expect(fetch.attributes["oci.manifest.digest"]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(fetch.attributes["error.type"]).toBeUndefined();
      expect(fetch.endTimeUnixNano).toBeGreaterThanOrEqual(fetch.startTimeUnixNano);
    }

    const images = childrenOf(pass, "satellite.image.replicate");
    const byName = new Map(images.map((s) => [s.attributes["container.image.name"], s]));
    expect([...byName.keys()].sort()).toEqual(["apps/alpine", "apps/missing", "apps/nginx"]);
    const nginx = byName.get("apps/nginx")!;
    expect(nginx.attributes).toMatchObject({ "container.image.tags": ["1.27"], "satellite.image.outcome": "copied" });
    expect(nginx.attributes["oci.manifest.digest"]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(nginx.attributes["error.type"]).toBeUndefined();
    // Each copied image's blobs (a config and two layers each; a blob two images share is copied
    // once, under one of them) are its children with digest, size and outcome.
    const copied = images.filter((s) => s.attributes["satellite.image.outcome"] === "copied");
    expect(copied).toHaveLength(2);
    const blobs = copied.flatMap((image) => childrenOf(image, "satellite.blob.copy").map((blob) => ({ blob, image })));
    expect(blobs.length).toBeGreaterThanOrEqual(4);
    for (const { blob, image } of blobs) {
      expect(blob.attributes["satellite.blob.digest"]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(blob.attributes["satellite.blob.bytes"]).toEqual(expect.any(Number));
      expect(blob.attributes["satellite.blob.outcome"]).toMatch(/^(copied|skipped)$/);
      expect(blob.startTimeUnixNano).toBeGreaterThanOrEqual(image.startTimeUnixNano);
      expect(blob.endTimeUnixNano).toBeLessThanOrEqual(image.endTimeUnixNano);
    }
    expect(
      blobs.some(
        ({ blob: b }) =>
          b.attributes["satellite.blob.outcome"] === "copied" &&
          (b.attributes["satellite.blob.bytes"] as number) >= 64 << 10,
      ),
    ).toBe(true);
  });

  it("marks the image Harbor lacks failed, with the bounded reason", () => {
    const missing = spans({ service: "satellite", name: "satellite.image.replicate" }).filter(
      (s) => s.attributes["container.image.name"] === "apps/missing",
    );
    expect(missing.length).toBeGreaterThan(0);
    for (const span of missing) {
      expect(span.attributes).toMatchObject({
        "container.image.tags": ["1"],
        "satellite.image.outcome": "failed",
        "error.type": "MANIFEST_UNKNOWN",
      });
      expect(span.status.code).toBe(STATUS_CODE.ERROR);
      expect(childrenOf(span, "satellite.blob.copy")).toEqual([]);
    }
  });

  it("carries one trace id from the satellite's enrolment through Ground Control's rpc spans to the Harbor call", async () => {
    // Each process exports on its own schedule: wait until both halves of each trace are in.
    await eventually(
      async () => {
        const [enrol] = spans({ service: "satellite", name: "satellite.enrol" });
        if (
          !enrol ||
          !otlp.spans.some((s) => s.traceId === enrol.traceId && s.attributes["harbor.operation"] === "RefreshSec")
        )
          throw new Error("enrolment trace not complete yet");
        if (!spans({ service: "satellite", name: "satellite.heartbeat" }).some((s) => childrenOf(s, SYNC).length > 0))
          throw new Error("heartbeat trace not complete yet");
      },
      30_000,
      "the enrolment and a heartbeat trace exported by both processes",
    );
    const [enrol] = spans({ service: "satellite", name: "satellite.enrol" });
    expect(enrol.attributes).toMatchObject({
      "satellite.name": "edge-1",
      "satellite.ztr.mode": "token",
      "satellite.enrol.outcome": "ok",
    });
    // The satellite's traceparent: Ground Control's span is the enrolment span's child.
    const [ztr] = childrenOf(enrol, TOKEN_ZTR);
    expect(ztr).toMatchObject({ service: "ground-control", kind: SPAN_KIND.SERVER });
    const [rotate] = childrenOf(ztr, ROTATE);
    expect(rotate).toMatchObject({ service: "ground-control", kind: SPAN_KIND.SERVER });
    const harbor = spans({ traceId: enrol.traceId, service: "ground-control" }).filter(
      (s) => s.kind === SPAN_KIND.CLIENT && s.attributes["harbor.operation"] === "RefreshSec",
    );
    expect(harbor).toHaveLength(1);
    expect(harbor[0].name).toBe("PATCH /api/v2.0/robots/{robot_id}");
    expect(harbor[0].attributes).toMatchObject({
      "http.request.method": "PATCH",
      "url.template": "/api/v2.0/robots/{robot_id}",
      "http.response.status_code": 200,
    });

    const [beat] = spans({ service: "satellite", name: "satellite.heartbeat" }).filter(
      (s) => childrenOf(s, SYNC).length > 0,
    );
    expect(beat.attributes).toMatchObject({ "satellite.name": "edge-1", "satellite.heartbeat.outcome": "ok" });
  });

  it("names rpc server spans by the fully-qualified method with the RPC conventions' attributes", () => {
    for (const name of [TOKEN_ZTR, ROTATE, SYNC]) {
      const [span] = spans({ service: "ground-control", name });
      expect(span.kind).toBe(SPAN_KIND.SERVER);
      expect(span.attributes).toEqual({ "rpc.system.name": "connectrpc", "rpc.method": name, "rpc.status_code": "ok" });
      expect(span.status.code).not.toBe(STATUS_CODE.ERROR);
    }
    const catalogue = spanCatalogue(otlp.spans);
    expect(catalogue.services).toEqual(new Set(["satellite", "ground-control"]));
    for (const name of [
      "satellite.pass",
      "satellite.state.fetch",
      "satellite.image.replicate",
      "satellite.blob.copy",
      "satellite.enrol",
      "satellite.heartbeat",
    ])
      expect(catalogue.names).toContain(name);
    expect(
      [...catalogue.names].filter(
        (n) => n.startsWith("harbor.satellite.") && !/^harbor\.satellite\.\w+\.v1\.\w+Service\/\w+$/.test(n),
      ),
    ).toEqual([]);
    expect(catalogue.attributesByName.get("satellite.image.replicate")).toEqual(
      new Set([
        "container.image.name",
        "container.image.tags",
        "oci.manifest.digest",
        "satellite.image.outcome",
        "error.type",
      ]),
    );
  });

  it("stamps log lines with the trace ids of the exported spans", () => {
    const lines = (process: RunningProcess) =>
      process
        .output()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { msg?: string; trace_id?: string; rpc?: string });
    const passTraces = new Set(spans({ name: "satellite.pass" }).map((s) => s.traceId));
    const failed = lines(sat!).filter((l) => l.msg === "image failed");
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.some((l) => l.trace_id && passTraces.has(l.trace_id))).toBe(true);
    const syncTraces = new Set(spans({ name: SYNC }).map((s) => s.traceId));
    const rpcOk = lines(stack.gc).filter((l) => l.msg === "rpc ok" && l.rpc === SYNC);
    expect(rpcOk.some((l) => l.trace_id && syncTraces.has(l.trace_id))).toBe(true);
  });
});
