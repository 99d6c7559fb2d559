import { Code } from "@connectrpc/connect";
import { createStaticX509Source, X509BundleSet, type MutableX509Source } from "@harbor-satellite/spiffe";
import { startTelemetry, withSpan } from "@harbor-satellite/telemetry";
import { TestCA } from "@harbor-satellite/testkit/spiffe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createGroundControlClient,
  GroundControlError,
  type GroundControlClient,
  type Heartbeat,
} from "./ground-control-client.js";
import { startFakeGroundControl, type FakeEnrolment, type FakeGroundControl } from "./testing/fake-ground-control.js";

const TD = "example.org";
const ENROLMENT: FakeEnrolment = {
  satellite: "edge-1",
  stateUrl: "https://harbor.example/satellite/satellite-state/edge-1/state:latest",
  harborUrl: "https://harbor.example",
  username: "robot$edge-1",
  password: "robot-secret",
};
const TOKEN = "0123456789abcdef0123456789abcdef";

const beat = (overrides: Partial<Heartbeat> = {}): Heartbeat => ({
  name: "edge-1",
  activity: "last pass applied",
  stateReportInterval: "@every 00h00m30s",
  latestStateDigest: `sha256:${"a".repeat(64)}`,
  latestConfigDigest: `sha256:${"b".repeat(64)}`,
  memoryUsedBytes: 123n,
  storageUsedBytes: 456n,
  cpuPercent: 12.5,
  createdAt: new Date("2026-01-02T03:04:05Z"),
  lastSyncDurationMs: 789n,
  cachedImages: [{ reference: `127.0.0.1:8585/apps/nginx:1@sha256:${"c".repeat(64)}`, sizeBytes: 1000n }],
  errors: [{ reference: "apps/redis:7", message: "manifest unknown" }],
  ...overrides,
});

let gc: FakeGroundControl | undefined;
let client: GroundControlClient | undefined;
afterEach(async () => {
  client?.close();
  await gc?.close();
  gc = undefined;
});

describe("token mode", () => {
  beforeAll(async () => {
    await startTelemetry("satellite-test").ready;
  });

  it("enrols with TokenZtr and maps the state config", async () => {
    gc = await startFakeGroundControl({ enrolment: ENROLMENT, validToken: TOKEN });
    client = createGroundControlClient({ url: gc.url, token: TOKEN });
    expect(client.mode).toBe("token");
    expect(await client.enrol()).toEqual({
      satellite: "edge-1",
      stateUrl: ENROLMENT.stateUrl,
      registryUrl: "https://harbor.example",
      auth: { url: "https://harbor.example", username: "robot$edge-1", password: "robot-secret" },
    });
    expect(gc.calls.map((c) => [c.rpc, c.token])).toEqual([["TokenZtr", TOKEN]]);
  });

  it("sends every heartbeat field with the robot's Basic credentials and the caller's trace", async () => {
    gc = await startFakeGroundControl({ enrolment: ENROLMENT });
    client = createGroundControlClient({ url: gc.url });
    const traceId = await withSpan("test", "heartbeat", {}, async (span) => {
      await client!.heartbeat(beat(), { username: "robot$edge-1", password: "robot-secret" });
      return span.spanContext().traceId;
    });
    const [call] = gc.calls;
    expect(call.authorization).toBe(`Basic ${Buffer.from("robot$edge-1:robot-secret").toString("base64")}`);
    expect(call.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
    const sync = call.sync!;
    expect({
      satellite: sync.satellite,
      name: sync.name,
      activity: sync.activity,
      interval: sync.stateReportInterval,
      state: sync.latestStateDigest,
      config: sync.latestConfigDigest,
      memory: sync.memoryUsedBytes,
      storage: sync.storageUsedBytes,
      cpu: sync.cpuPercent,
      created: sync.requestCreateTime?.seconds,
      duration: sync.lastSyncDurationMs,
      count: sync.imageCount,
      images: sync.cachedImages.map((i) => [i.reference, i.sizeBytes]),
      errors: sync.errors.map((e) => [e.reference, e.message]),
    }).toEqual({
      // Both names until v0.3, so a Ground Control older than v0.2 knows it too.
      satellite: "edge-1",
      name: "edge-1",
      activity: "last pass applied",
      interval: "@every 00h00m30s",
      state: `sha256:${"a".repeat(64)}`,
      config: `sha256:${"b".repeat(64)}`,
      memory: 123n,
      storage: 456n,
      cpu: 12.5,
      created: BigInt(Date.parse("2026-01-02T03:04:05Z") / 1000),
      duration: 789n,
      count: 1,
      images: [[`127.0.0.1:8585/apps/nginx:1@sha256:${"c".repeat(64)}`, 1000n]],
      errors: [["apps/redis:7", "manifest unknown"]],
    });
  });

  it("says a refused token is permanent, with a hint, and never repeats the token", async () => {
    gc = await startFakeGroundControl({ enrolment: ENROLMENT, validToken: "another-token" });
    client = createGroundControlClient({ url: gc.url, token: TOKEN });
    const error = (await client.enrol().catch((e: unknown) => e)) as GroundControlError;
    expect(error).toBeInstanceOf(GroundControlError);
    expect(error).toMatchObject({ rpc: "TokenZtr", code: Code.Unauthenticated, permanent: true });
    expect(error.message).toMatch(/issue a new one with IssueZtrToken/);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).toContain("[redacted]");
  });

  it("reports an unreachable Ground Control as a retryable Unavailable", async () => {
    client = createGroundControlClient({ url: "http://127.0.0.1:1", token: TOKEN, timeoutMs: 2_000 });
    const error = (await client.enrol().catch((e: unknown) => e)) as GroundControlError;
    expect(error).toMatchObject({ code: Code.Unavailable, permanent: false });
  });

  it("refuses a heartbeat without robot credentials and an enrolment without a token", async () => {
    client = createGroundControlClient({ url: "http://127.0.0.1:1" });
    await expect(client.heartbeat(beat(), undefined)).rejects.toThrow(/no robot credentials/);
    await expect(client.enrol()).rejects.toMatchObject({ code: Code.FailedPrecondition, permanent: true });
  });

  it("rejects an answer without credentials", async () => {
    gc = await startFakeGroundControl({ enrolment: { ...ENROLMENT, password: "" } });
    client = createGroundControlClient({ url: gc.url, token: TOKEN });
    await expect(client.enrol()).rejects.toThrow(/lacks auth.password/);
  });
});

describe("SPIFFE mode", () => {
  let ca: TestCA;
  let serverSource: MutableX509Source;
  let clientSource: MutableX509Source;
  let bundles: X509BundleSet;

  beforeAll(async () => {
    ca = await TestCA.create(TD);
    bundles = new X509BundleSet([ca.bundle()]);
    serverSource = createStaticX509Source({ svid: await ca.issueSvid(`spiffe://${TD}/gc/main`), bundles });
    clientSource = createStaticX509Source({
      svid: await ca.issueSvid(`spiffe://${TD}/satellite/region/eu/edge-1`),
      bundles,
    });
  });
  afterAll(async () => {
    await serverSource?.close();
    await clientSource?.close();
  });

  it("enrols and heartbeats over mTLS with the SVID, without credentials, and presents a rotated SVID at the next call", async () => {
    gc = await startFakeGroundControl({ enrolment: ENROLMENT, tls: { source: serverSource, trustDomain: TD } });
    client = createGroundControlClient({ url: gc.url, spiffe: { source: clientSource } });
    expect(client.mode).toBe("spiffe");
    expect((await client.enrol()).auth.username).toBe("robot$edge-1");
    clientSource.set({ svid: await ca.issueSvid(`spiffe://${TD}/satellite/region/eu/edge-2`), bundles });
    await client.heartbeat(beat(), undefined);
    expect(gc.calls.map((c) => [c.rpc, c.peer, c.authorization])).toEqual([
      ["SpiffeZtr", `spiffe://${TD}/satellite/region/eu/edge-1`, undefined],
      ["Sync", `spiffe://${TD}/satellite/region/eu/edge-2`, undefined],
    ]);
  });

  it("refuses a server that is not the expected Ground Control", async () => {
    const impostor = createStaticX509Source({
      svid: await ca.issueSvid(`spiffe://${TD}/satellite/region/eu/evil`),
      bundles,
    });
    gc = await startFakeGroundControl({ enrolment: ENROLMENT, tls: { source: impostor, trustDomain: TD } });
    client = createGroundControlClient({ url: gc.url, spiffe: { source: clientSource } });
    const error = (await client.enrol().catch((e: unknown) => e)) as GroundControlError;
    expect(error).toBeInstanceOf(GroundControlError);
    expect(error.message).toMatch(/is not spiffe:\/\/example.org\/gc\/main/);
    expect(gc.calls).toEqual([]);
    await impostor.close();
  });

  it("accepts the server ID given by --spiffe-expected-server-id instead of the default", async () => {
    const named = createStaticX509Source({ svid: await ca.issueSvid(`spiffe://${TD}/ground-control`), bundles });
    gc = await startFakeGroundControl({ enrolment: ENROLMENT, tls: { source: named, trustDomain: TD } });
    client = createGroundControlClient({
      url: gc.url,
      spiffe: { source: clientSource, expectedServerId: `spiffe://${TD}/ground-control` },
    });
    expect((await client.enrol()).satellite).toBe("edge-1");
    await named.close();
  });

  it("waits for the SVID, and fails clearly when the Workload API never delivers one", async () => {
    const empty = createStaticX509Source();
    client = createGroundControlClient({ url: "https://127.0.0.1:1", spiffe: { source: empty, readyTimeoutMs: 50 } });
    await expect(client.enrol()).rejects.toBeInstanceOf(GroundControlError);
    await empty.close();
  });
});
