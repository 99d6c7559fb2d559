// The SPIRE Server API client against the fake SPIRE server: this checks both sides against the
// protos and SPIRE's documented behaviours (per-item statuses, ALREADY_EXISTS, /spire reserved,
// join tokens with a TTL consumed once, GetBundle authorities).
import { afterEach, describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { AttestationError, FakeSpireServer, type FakeSpireServerOptions } from "@harbor-satellite/testkit/spiffe";
import { create } from "@bufbuild/protobuf";
import { AgentSchema } from "@harbor-satellite/gen/spire/api/types/agent_pb";
import { SpireServerError } from "./errors.js";
import { satelliteSpiffeId } from "./satellite-id.js";
import { TrustDomain } from "./spiffe-id.js";
import { createSpireServerClient, type SpireServerClient } from "./spire-server-client.js";
import { joinTokenAgentId, parseSelector, type EntrySpec } from "./spire-types.js";
import { verifyPeerCertificate } from "./verify.js";
import { X509BundleSet } from "./x509-bundle.js";

const TD = TrustDomain.parse("example.org");
const AGENT = "spiffe://example.org/agent/s1";

function satelliteEntry(name: string, overrides: Partial<EntrySpec> = {}): EntrySpec {
  return {
    spiffeId: satelliteSpiffeId(TD, "eu", name),
    parentId: AGENT,
    selectors: ["unix:uid:1000", "docker:label:com.docker.compose.service:satellite"],
    ...overrides,
  };
}

describe("SpireServerClient against the fake SPIRE server", () => {
  let fake: FakeSpireServer;
  let client: SpireServerClient;
  let clock = Date.UTC(2030, 0, 1);

  async function start(options: FakeSpireServerOptions = {}) {
    clock = Date.UTC(2030, 0, 1);
    fake = await FakeSpireServer.start({ trustDomain: "example.org", now: () => clock, ...options });
    client = createSpireServerClient({ socket: fake.socketPath });
  }

  afterEach(async () => {
    client?.close();
    await fake?.stop();
  });

  it("creates an entry and is idempotent on retry (ALREADY_EXISTS returns the existing entry)", async () => {
    await start();
    const first = await client.createEntry(satelliteEntry("s1"));
    expect(first.created).toBe(true);
    expect(first.entry.id).not.toBe("");
    expect(first.entry.spiffeId.toString()).toBe("spiffe://example.org/satellite/region/eu/s1");
    expect(first.entry.selectors).toEqual([
      { type: "unix", value: "uid:1000" },
      { type: "docker", value: "label:com.docker.compose.service:satellite" },
    ]);
    const again = await client.createEntry(
      satelliteEntry("s1", { selectors: ["docker:label:com.docker.compose.service:satellite", "unix:uid:1000"] }),
    );
    expect(again).toEqual({ entry: first.entry, created: false });
    expect(await client.listEntries()).toHaveLength(1);
  });

  it("finds the existing entry with ListEntries when ALREADY_EXISTS comes without it", async () => {
    await start({ omitExistingEntry: true });
    const first = await client.createEntry(satelliteEntry("s1"));
    const again = await client.createEntry(satelliteEntry("s1"));
    expect(again.created).toBe(false);
    expect(again.entry.id).toBe(first.entry.id);
    expect(fake.calls.get("ListEntries")).toBe(1);
  });

  it("reports each batch item's status in order", async () => {
    await start();
    const results = await client.batchCreateEntry([
      satelliteEntry("a"),
      satelliteEntry("a"),
      satelliteEntry("b", { spiffeId: "spiffe://example.org/spire/agent/x" }),
      satelliteEntry("c", { spiffeId: "spiffe://evil.test/satellite/region/eu/c" }),
      satelliteEntry("d", { selectors: [] }),
      satelliteEntry("e", { selectors: [{ type: "un:ix", value: "uid:1" }] }),
      satelliteEntry("f", { parentId: "spiffe://example.org" }),
    ]);
    expect(results.map((r) => r.code)).toEqual([0, 6, 3, 3, 3, 3, 3]);
    expect(results[2]!.message).toMatch(/"\/spire\/\*" namespace is reserved/);
    expect(results[3]!.message).toMatch(/not a member of trust domain "example.org"/);
    expect(results[4]!.message).toMatch(/selector list is empty/);
    expect(results[5]!.message).toMatch(/selector type contains ':'/);
    expect(results[6]!.message).toMatch(/invalid parent ID: path cannot be empty/);
    expect(results[1]!.entry?.id).toBe(results[0]!.entry?.id);
  });

  it("throws a typed error carrying the item's code when an entry is refused", async () => {
    await start();
    const err = await client
      .createEntry(satelliteEntry("x", { spiffeId: "spiffe://example.org/spire/x" }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpireServerError);
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, item: 0 });
  });

  it("lists with filters and follows page tokens", async () => {
    await start();
    for (const name of ["s1", "s2", "s3", "s4", "s5"])
      await client.createEntry(satelliteEntry(name, { hint: name === "s3" ? "edge" : "" }));
    await client.createEntry(
      satelliteEntry("o1", { parentId: "spiffe://example.org/agent/other", selectors: ["unix:uid:2000"] }),
    );
    expect(await client.listEntries({}, 2)).toHaveLength(6);
    expect(fake.calls.get("ListEntries")).toBe(3);
    const byId = await client.listEntries({ bySpiffeId: satelliteSpiffeId(TD, "eu", "s2") });
    expect(byId.map((e) => e.spiffeId.path)).toEqual(["/satellite/region/eu/s2"]);
    expect(await client.listEntries({ byParentId: "spiffe://example.org/agent/other" })).toHaveLength(1);
    expect(await client.listEntries({ byHint: "edge" })).toHaveLength(1);
    const uid = ["unix:uid:1000"];
    expect(await client.listEntries({ bySelectors: { selectors: uid, match: "exact" } })).toHaveLength(0);
    expect(await client.listEntries({ bySelectors: { selectors: uid, match: "superset" } })).toHaveLength(5);
    expect(
      await client.listEntries({ bySelectors: { selectors: ["unix:uid:1000", "unix:uid:2000"], match: "any" } }),
    ).toHaveLength(6);
    expect(
      await client.listEntries({ bySelectors: { selectors: ["unix:uid:2000", "unix:uid:3"], match: "subset" } }),
    ).toHaveLength(1);
  });

  it("deletes entries with a status per id", async () => {
    await start();
    const { entry } = await client.createEntry(satelliteEntry("s1"));
    expect(await client.batchDeleteEntry([entry.id, "nope"])).toEqual([
      { id: entry.id, code: 0, message: "OK" },
      { id: "nope", code: status.NOT_FOUND, message: "entry not found" },
    ]);
    expect(await client.deleteEntry(entry.id)).toBe(false);
    expect(await client.listEntries()).toHaveLength(0);
  });

  it("creates join tokens with a TTL, an alias entry for agent_id, and refuses ttl < 1", async () => {
    await start();
    const token = await client.createJoinToken({ ttl: 600, agentId: AGENT });
    expect(token.expiresAt.getTime()).toBe(clock + 600_000);
    const [alias] = await client.listEntries({ bySpiffeId: AGENT });
    expect(alias!.parentId.toString()).toBe(joinTokenAgentId(TD, token.value).toString());
    expect(alias!.selectors).toEqual([
      { type: "spiffe_id", value: `spiffe://example.org/spire/agent/join_token/${token.value}` },
    ]);
    const err = await client.createJoinToken({ ttl: 0 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((err as Error).message).toMatch(/ttl is required, you must provide one/);
    const bad = await client
      .createJoinToken({ ttl: 60, agentId: "spiffe://example.org/spire/agent/x" })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it("lets a simulated agent consume a join token once, before it expires", async () => {
    await start();
    const token = await client.createJoinToken({ ttl: 60 });
    const { agentId } = await fake.attestAgent(token.value);
    expect(agentId.toString()).toBe(`spiffe://example.org/spire/agent/join_token/${token.value}`);
    await expect(fake.attestAgent(token.value)).rejects.toMatchObject({ reason: "unknown-token" });
    const late = await client.createJoinToken({ ttl: 60 });
    clock += 61_000;
    const err = await fake.attestAgent(late.value).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttestationError);
    expect((err as AttestationError).reason).toBe("expired-token");
    const agents = await client.listAgents({ byAttestationType: "join_token" });
    expect(agents.map((a) => a.id.toString())).toEqual([agentId.toString()]);
    expect(agents[0]!.x509SvidSerialNumber).not.toBe("");
  });

  it("lists agents by attestation type and selector, as the x509pop flow does", async () => {
    await start();
    fake.state.addAgent(
      create(AgentSchema, {
        id: { trustDomain: "example.org", path: "/spire/agent/x509pop/abc" },
        attestationType: "x509pop",
        selectors: [{ type: "x509pop", value: "subject:cn:s1" }],
      }),
    );
    const found = await client.listAgents({
      byAttestationType: "x509pop",
      bySelectorMatch: { selectors: ["x509pop:subject:cn:s1"], match: "superset" },
    });
    expect(found.map((a) => a.id.path)).toEqual(["/spire/agent/x509pop/abc"]);
    expect(await client.listAgents({ byAttestationType: "join_token" })).toEqual([]);
    expect(await client.listAgents({ byBanned: true })).toEqual([]);
  });

  it("gets the bundle as DER authorities that verify SVIDs of the trust domain", async () => {
    await start();
    const bundle = await client.getBundle();
    expect(bundle.trustDomain.name).toBe("example.org");
    expect(bundle.x509.authorities.map((c) => c.fingerprint256)).toEqual([fake.ca.certificate.fingerprint256]);
    const svid = await fake.ca.issueSvid(satelliteSpiffeId(TD, "eu", "s1"));
    expect(verifyPeerCertificate(svid.certificates, new X509BundleSet([bundle.x509])).path).toBe(
      "/satellite/region/eu/s1",
    );
  });

  it("maps rpc failures to SpireServerError", async () => {
    await start();
    fake.failNext("GetBundle", status.UNAVAILABLE, "server starting");
    const err = await client.getBundle().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpireServerError);
    expect(err).toMatchObject({ code: status.UNAVAILABLE });
    expect((err as Error).message).toBe("SPIRE Server GetBundle: UNAVAILABLE: server starting");
  });

  it("finds the socket from SPIRE_SERVER_SOCKET, else SPIRE's default", async () => {
    await start();
    const viaEnv = createSpireServerClient({ env: { SPIRE_SERVER_SOCKET: fake.socketPath } });
    try {
      expect((await viaEnv.getBundle()).trustDomain.name).toBe("example.org");
    } finally {
      viaEnv.close();
    }
    const byDefault = createSpireServerClient({ env: {} });
    expect(byDefault.target).toBe("unix:///tmp/spire-server/private/api.sock");
    byDefault.close();
  });
});

describe("parseSelector", () => {
  it("splits at the first colon", () => {
    expect(parseSelector("docker:label:com.docker.compose.service:satellite")).toEqual({
      type: "docker",
      value: "label:com.docker.compose.service:satellite",
    });
    for (const bad of ["unix", ":uid:1", "unix:"]) expect(() => parseSelector(bad)).toThrow(TypeError);
  });
});
