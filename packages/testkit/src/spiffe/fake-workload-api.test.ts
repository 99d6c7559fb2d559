// Contract of the fake Workload API, checked with raw grpc-js calls (no SPIFFE client logic):
// what the SPIRE agent answers with and without the security header and an identity.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Client, Metadata, credentials, status, type ServiceError } from "@grpc/grpc-js";
import {
  SpiffeWorkloadAPI,
  type X509BundlesResponse,
  type X509SVIDResponse,
} from "@harbor-satellite/gen/spiffe/workload/workload_pb";
import { callServerStream, parseDerCertificates } from "@harbor-satellite/spiffe";
import { FakeWorkloadApi } from "./fake-workload-api.js";
import { TestCA, type TestSvid } from "./test-ca.js";

function header(value?: string): Metadata {
  const md = new Metadata();
  if (value !== undefined) md.set("workload.spiffe.io", value);
  return md;
}

/** Opens FetchX509SVID and yields its messages and terminal error. */
function open(client: Client, md: Metadata) {
  const call = callServerStream(client, SpiffeWorkloadAPI.method.fetchX509SVID, {}, md);
  const messages: X509SVIDResponse[] = [];
  const waiters: Array<() => void> = [];
  let error: ServiceError | undefined;
  const wake = () => waiters.splice(0).forEach((w) => w());
  call.on("data", (m: X509SVIDResponse) => (messages.push(m), wake()));
  call.on("error", (e: ServiceError) => ((error = e), wake()));
  const until = async (cond: () => boolean) => {
    while (!cond()) await new Promise<void>((r) => waiters.push(r));
  };
  return { call, messages, until, error: () => error };
}

describe("FakeWorkloadApi", () => {
  let ca: TestCA;
  let svid: TestSvid;
  let fake: FakeWorkloadApi;
  let client: Client;

  beforeAll(async () => {
    ca = await TestCA.create("example.org");
    svid = await ca.issueSvid("spiffe://example.org/satellite/region/eu/s1");
  });

  afterEach(async () => {
    client?.close();
    await fake?.stop();
  });

  async function start() {
    fake = await FakeWorkloadApi.start();
    client = new Client(fake.address, credentials.createInsecure());
    expect(fake.address.length).toBeLessThan(108);
  }

  it.each([
    ["missing", undefined],
    ["not exactly true", "True"],
  ])("answers InvalidArgument when the header is %s", async (_c, value) => {
    await start();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    const s = open(client, header(value));
    await s.until(() => s.error() !== undefined);
    expect(s.error()!.code).toBe(status.INVALID_ARGUMENT);
    expect(s.error()!.details).toBe("security header missing from request");
    expect(s.messages).toHaveLength(0);
  });

  it('answers PermissionDenied "no identity issued" without an identity', async () => {
    await start();
    const s = open(client, header("true"));
    await s.until(() => s.error() !== undefined);
    expect([s.error()!.code, s.error()!.details]).toEqual([status.PERMISSION_DENIED, "no identity issued"]);
  });

  it("sends the full state at once in SPIRE's encoding, then pushes rotations to the open stream", async () => {
    await start();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    const s = open(client, header("true"));
    await s.until(() => s.messages.length === 1);
    const first = s.messages[0]!.svids[0]!;
    expect(first.spiffeId).toBe("spiffe://example.org/satellite/region/eu/s1");
    expect(Buffer.from(first.x509Svid).equals(svid.chainDer)).toBe(true);
    expect(Buffer.from(first.x509SvidKey).equals(svid.keyDer)).toBe(true);
    expect(parseDerCertificates(first.bundle).map((c) => c.fingerprint256)).toEqual([ca.certificate.fingerprint256]);
    const next = await ca.issueSvid("spiffe://example.org/satellite/region/eu/s1");
    fake.rotate({ svids: [next], bundle: ca.bundle() });
    await s.until(() => s.messages.length === 2);
    expect(Buffer.from(s.messages[1]!.svids[0]!.x509Svid).equals(next.chainDer)).toBe(true);
    fake.clearIdentity();
    await s.until(() => s.error() !== undefined);
    expect(s.error()!.code).toBe(status.PERMISSION_DENIED);
  });

  it("serves FetchX509Bundles keyed by trust domain ID", async () => {
    await start();
    const partner = await TestCA.create("partner.test");
    fake.setIdentity({ svids: [svid], bundle: ca.bundle(), federated: [partner.bundle()] });
    const call = callServerStream(client, SpiffeWorkloadAPI.method.fetchX509Bundles, {}, header("true"));
    const [message] = (await new Promise((resolve) => call.once("data", (m: X509BundlesResponse) => resolve([m])))) as [
      X509BundlesResponse,
    ];
    call.cancel();
    call.on("error", () => {});
    expect(Object.keys(message.bundles).sort()).toEqual(["spiffe://example.org", "spiffe://partner.test"]);
  });

  it("injects failures and drops streams on demand", async () => {
    await start();
    fake.setIdentity({ svids: [svid], bundle: ca.bundle() });
    fake.failNext(status.UNAVAILABLE, "warming up");
    const failed = open(client, header("true"));
    await failed.until(() => failed.error() !== undefined);
    expect([failed.error()!.code, failed.error()!.details]).toEqual([status.UNAVAILABLE, "warming up"]);
    const s = open(client, header("true"));
    await s.until(() => s.messages.length === 1);
    expect(fake.openSvidStreams).toBe(1);
    fake.dropStreams(status.UNAVAILABLE);
    await s.until(() => s.error() !== undefined);
    expect(s.error()!.code).toBe(status.UNAVAILABLE);
    expect(fake.calls).toBe(2);
  });
});
