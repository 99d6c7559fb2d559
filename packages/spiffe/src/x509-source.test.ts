import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { FakeWorkloadApi, TestCA, type TestSvid } from "@harbor-satellite/testkit/spiffe";
import { X509SourceError } from "./errors.js";
import { X509BundleSet } from "./x509-bundle.js";
import { createStaticX509Source, createX509Source, type X509Source } from "./x509-source.js";

const ID = "spiffe://example.org/gc/main";
const FAST = { baseMs: 5, capMs: 20 };

function nextEvent(source: X509Source, event: "update" | "redacted"): Promise<void> {
  return new Promise((resolve) => source.once(event, () => resolve()));
}

describe("X509Source", () => {
  let ca: TestCA;
  let svid: TestSvid;
  let fake: FakeWorkloadApi;
  let source: X509Source | undefined;

  beforeAll(async () => {
    ca = await TestCA.create("example.org");
    svid = await ca.issueSvid(ID);
  });

  afterEach(async () => {
    await source?.close();
    source = undefined;
    await fake?.stop();
  });

  it("is ready with the SVID and bundles once the Workload API answered", async () => {
    fake = await FakeWorkloadApi.start();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    source = await createX509Source({ socket: fake.address, backoff: FAST });
    expect(source.ready).toBe(true);
    expect(source.getX509Svid().id.toString()).toBe(ID);
    expect(source.getX509Bundle(ca.trustDomain)?.authorities).toHaveLength(1);
    expect(source.getX509Bundles().trustDomains().map(String)).toEqual(["example.org"]);
  });

  it("falls back to SPIFFE_ENDPOINT_SOCKET", async () => {
    fake = await FakeWorkloadApi.start();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    const before = process.env.SPIFFE_ENDPOINT_SOCKET;
    process.env.SPIFFE_ENDPOINT_SOCKET = fake.address;
    try {
      source = await createX509Source({ backoff: FAST });
    } finally {
      if (before === undefined) delete process.env.SPIFFE_ENDPOINT_SOCKET;
      else process.env.SPIFFE_ENDPOINT_SOCKET = before;
    }
    expect(source.getX509Svid().id.toString()).toBe(ID);
  });

  it("tells watchers about rotations", async () => {
    fake = await FakeWorkloadApi.start();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    source = await createX509Source({ socket: fake.address, backoff: FAST });
    const seen: string[] = [];
    const rotated = new Promise<void>((resolve) =>
      source!.watch(({ svid: s }) => {
        seen.push(s.certificates[0]!.serialNumber);
        resolve();
      }),
    );
    const next = await ca.issueSvid(ID);
    fake.rotate({ svids: [next], bundle: ca.bundle() });
    await rotated;
    expect(seen).toEqual([next.certificates[0]!.serialNumber]);
    expect(source.getX509Svid().certificates[0]!.serialNumber).toBe(next.certificates[0]!.serialNumber);
  });

  it("stops presenting the SVID when it is redacted, and recovers when it comes back", async () => {
    fake = await FakeWorkloadApi.start();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    source = await createX509Source({ socket: fake.address, backoff: FAST });
    const redacted = nextEvent(source, "redacted");
    fake.clearIdentity();
    await redacted;
    expect(source.ready).toBe(false);
    expect(() => source!.getX509Svid()).toThrow(X509SourceError);
    const updated = nextEvent(source, "update");
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    await updated;
    expect(source.getX509Svid().id.toString()).toBe(ID);
  });

  it("times out waiting for an identity that never comes", async () => {
    fake = await FakeWorkloadApi.start();
    const err = await createX509Source({ socket: fake.address, backoff: FAST, readyTimeoutMs: 200 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(X509SourceError);
    expect((err as X509SourceError).reason).toBe("timeout");
    expect(((err as X509SourceError).cause as Error).message).toMatch(/no identity issued/);
  });

  it("fails at once on a final error", async () => {
    fake = await FakeWorkloadApi.start();
    fake.failNext(status.INVALID_ARGUMENT, "security header missing from request");
    const err = await createX509Source({ socket: fake.address, backoff: FAST, readyTimeoutMs: 60_000 }).catch(
      (e: unknown) => e,
    );
    expect((err as X509SourceError).reason).toBe("failed");
    expect((err as X509SourceError).message).toMatch(/InvalidArgument|INVALID_ARGUMENT/);
  });

  it("closes its stream and refuses use after close", async () => {
    fake = await FakeWorkloadApi.start();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    const s = await createX509Source({ socket: fake.address, backoff: FAST });
    expect(fake.openSvidStreams).toBe(1);
    await s.close();
    expect(() => s.getX509Svid()).toThrow(/closed/);
    await expect(s.waitUntilReady(10)).rejects.toMatchObject({ reason: "closed" });
    while (fake.openSvidStreams > 0) await new Promise((r) => setTimeout(r, 5));
    expect(fake.openSvidStreams).toBe(0);
  });
});

describe("createStaticX509Source", () => {
  it("is set by hand and notifies watchers", async () => {
    const ca = await TestCA.create("example.org");
    const first = await ca.issueSvid(ID);
    const second = await ca.issueSvid(ID);
    const source = createStaticX509Source();
    expect(source.ready).toBe(false);
    const ready = source.waitUntilReady(5_000);
    source.set({ svid: first, bundles: new X509BundleSet([ca.bundle()]) });
    await ready;
    const seen: string[] = [];
    source.watch(({ svid }) => seen.push(svid.certificates[0]!.serialNumber));
    source.set({ svid: second });
    expect(seen).toEqual([second.certificates[0]!.serialNumber]);
    await source.close();
    expect(source.getX509Bundle(ca.trustDomain)).toBeUndefined();
  });
});
