import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { status } from "@grpc/grpc-js";
import { X509SVIDResponseSchema } from "@harbor-satellite/gen/spiffe/workload/workload_pb";
import { FakeWorkloadApi, TestCA, type TestSvid } from "@harbor-satellite/testkit/spiffe";
import { concatDer } from "./der.js";
import { InvalidSvidError, WorkloadApiError } from "./errors.js";
import { createWorkloadApiClient, type WorkloadApiClient } from "./workload-client.js";
import type { X509Context } from "./x509-context.js";

const ID = "spiffe://example.org/satellite/region/eu/s1";
const FAST = { baseMs: 5, capMs: 20 };

/** Collects watch events and lets a test wait for the n-th of them. */
class Recorder {
  updates: X509Context[] = [];
  errors: Error[] = [];
  final: unknown;
  private waiters: Array<() => void> = [];
  onUpdate = (c: X509Context) => (this.updates.push(c), this.wake());
  onError = (e: Error) => (this.errors.push(e), this.wake());
  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  async until(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise<void>((r) => this.waiters.push(r));
  }
}

describe("WorkloadApiClient", () => {
  let ca: TestCA;
  let federated: TestCA;
  let fake: FakeWorkloadApi;
  let client: WorkloadApiClient;
  let svid: TestSvid;
  const aborts: AbortController[] = [];

  /** Starts a watch; a final error is kept on the recorder (and returned) rather than left unhandled. */
  function watch(rec: Recorder): Promise<unknown> {
    const abort = new AbortController();
    aborts.push(abort);
    return client.watchX509Context(rec, abort.signal).then(
      () => undefined,
      (err: unknown) => (rec.final = err),
    );
  }

  beforeAll(async () => {
    ca = await TestCA.create("example.org");
    federated = await TestCA.create("partner.test");
    svid = await ca.issueSvid(ID);
  });

  afterEach(async () => {
    for (const a of aborts.splice(0)) a.abort();
    client?.close();
    await fake?.stop();
  });

  async function startFake(options: { tcp?: boolean } = {}) {
    fake = await FakeWorkloadApi.start(options);
    client = createWorkloadApiClient({ address: fake.address, backoff: FAST });
  }

  it("fetches the SVID, its key and the bundles over a unix socket", async () => {
    await startFake();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle(), federated: [federated.bundle()] });
    const ctx = await client.fetchX509Context();
    expect(ctx.svids.map((s) => s.id.toString())).toEqual([ID]);
    expect(ctx.svids[0]!.certificates[0]!.serialNumber).toBe(svid.certificates[0]!.serialNumber);
    expect(ctx.svids[0]!.certificates[0]!.checkPrivateKey(ctx.svids[0]!.privateKey)).toBe(true);
    expect(
      ctx.bundles
        .trustDomains()
        .map((t) => t.name)
        .sort(),
    ).toEqual(["example.org", "partner.test"]);
    expect(fake.calls).toBe(1);
  });

  it("works over tcp://127.0.0.1 and fetches bundles alone", async () => {
    await startFake({ tcp: true });
    expect(fake.address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    const bundles = await client.fetchX509Bundles();
    expect(bundles.getX509Bundle(ca.trustDomain)?.authorities[0]!.fingerprint256).toBe(ca.certificate.fingerprint256);
  });

  it("reports PermissionDenied when no identity is issued", async () => {
    await startFake();
    const err = await client.fetchX509Context().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkloadApiError);
    expect((err as WorkloadApiError).code).toBe(status.PERMISSION_DENIED);
    expect((err as WorkloadApiError).message).toMatch(/no identity issued/);
  });

  it("streams the first state at once, then rotations", async () => {
    await startFake();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    const rec = new Recorder();
    void watch(rec);
    await rec.until(() => rec.updates.length === 1);
    const rotated = await ca.issueSvid(ID);
    fake.rotate({ svids: [rotated], bundle: ca.bundle() });
    await rec.until(() => rec.updates.length === 2);
    expect(rec.updates.map((u) => u.svids[0]!.certificates[0]!.serialNumber)).toEqual([
      svid.certificates[0]!.serialNumber,
      rotated.certificates[0]!.serialNumber,
    ]);
    expect(fake.calls).toBe(1);
  });

  it("retries Unavailable and PermissionDenied with backoff until an identity appears", async () => {
    await startFake();
    fake.failNext(status.UNAVAILABLE, "agent starting", 2);
    const rec = new Recorder();
    void watch(rec);
    await rec.until(() => rec.errors.length >= 3); // 2 × Unavailable, then PermissionDenied (no identity yet)
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    await rec.until(() => rec.updates.length === 1);
    const codes = rec.errors.map((e) => (e as WorkloadApiError).code);
    expect(codes.slice(0, 3)).toEqual([status.UNAVAILABLE, status.UNAVAILABLE, status.PERMISSION_DENIED]);
  });

  it.each([
    ["InvalidArgument", status.INVALID_ARGUMENT],
    ["Unimplemented", status.UNIMPLEMENTED],
  ])("stops on %s without retrying", async (_name, code) => {
    await startFake();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    fake.failNext(code);
    const rec = new Recorder();
    const err = await watch(rec);
    expect(err).toBeInstanceOf(WorkloadApiError);
    expect((err as WorkloadApiError).code).toBe(code);
    expect(fake.calls).toBe(1);
    expect(rec.updates).toHaveLength(0);
  });

  it("reconnects after the agent restarts", async () => {
    await startFake();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    const rec = new Recorder();
    void watch(rec);
    await rec.until(() => rec.updates.length === 1);
    await fake.pause();
    await rec.until(() => rec.errors.length >= 1);
    await fake.resume();
    await rec.until(() => rec.updates.length === 2);
    expect((rec.errors[0] as WorkloadApiError).code).toBe(status.UNAVAILABLE);
    expect(rec.final).toBeUndefined();
  });

  it("retries when the server cancels the stream itself", async () => {
    await startFake();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    const rec = new Recorder();
    void watch(rec);
    await rec.until(() => rec.updates.length === 1);
    fake.dropStreams(status.CANCELLED, "stream cancelled by the agent");
    await rec.until(() => rec.updates.length === 2);
    expect((rec.errors[0] as WorkloadApiError).code).toBe(status.CANCELLED);
    expect(rec.final).toBeUndefined();
  });

  it("discards an unusable message, keeps the stream, and takes the next good one", async () => {
    await startFake();
    const other = await ca.issueSvid(ID);
    fake.setX509SvidResponse(
      create(X509SVIDResponseSchema, {
        svids: [{ spiffeId: ID, x509Svid: svid.chainDer, x509SvidKey: other.keyDer, bundle: ca.bundleDer() }],
      }),
    );
    const rec = new Recorder();
    void watch(rec);
    await rec.until(() => rec.errors.length === 1);
    expect(rec.errors[0]).toBeInstanceOf(InvalidSvidError);
    expect(rec.errors[0]!.message).toMatch(/private key does not match/);
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    await rec.until(() => rec.updates.length === 1);
    expect(fake.calls).toBe(1);
  });

  it("rejects responses that break the profile: no SVIDs, wrong announced ID, missing bundle", async () => {
    await startFake();
    const cases = [
      { svids: [] },
      {
        svids: [
          {
            spiffeId: "spiffe://example.org/other",
            x509Svid: svid.chainDer,
            x509SvidKey: svid.keyDer,
            bundle: ca.bundleDer(),
          },
        ],
      },
      { svids: [{ spiffeId: ID, x509Svid: svid.chainDer, x509SvidKey: svid.keyDer }] },
      {
        svids: [
          { spiffeId: ID, x509Svid: Buffer.from([0x30, 0x82, 0x10]), x509SvidKey: svid.keyDer, bundle: ca.bundleDer() },
        ],
      },
    ];
    for (const c of cases) {
      fake.setX509SvidResponse(create(X509SVIDResponseSchema, c));
      await expect(client.fetchX509Context()).rejects.toBeInstanceOf(InvalidSvidError);
    }
  });

  it("keeps the first of several SVIDs with the same hint and accepts bare trust domain keys", async () => {
    await startFake();
    const second = await ca.issueSvid("spiffe://example.org/satellite/region/eu/s2", { hint: "internal" });
    const dup = await ca.issueSvid("spiffe://example.org/satellite/region/eu/s3", { hint: "internal" });
    fake.setX509SvidResponse(
      create(X509SVIDResponseSchema, {
        svids: [svid, second, dup].map((s) => ({
          spiffeId: s.id.toString(),
          x509Svid: concatDer(s.certificates),
          x509SvidKey: s.keyDer,
          bundle: ca.bundleDer(),
          hint: s.hint,
        })),
        federatedBundles: { "partner.test": federated.bundleDer() },
      }),
    );
    const ctx = await client.fetchX509Context();
    expect(ctx.svids.map((s) => s.id.path)).toEqual(["/satellite/region/eu/s1", "/satellite/region/eu/s2"]);
    expect(ctx.bundles.getX509Bundle(federated.trustDomain)).toBeDefined();
  });

  it("resolves the watch when aborted", async () => {
    await startFake();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    const rec = new Recorder();
    const abort = new AbortController();
    const done = client.watchX509Context(rec, abort.signal);
    await rec.until(() => rec.updates.length === 1);
    abort.abort();
    await expect(done).resolves.toBeUndefined();
  });
});
