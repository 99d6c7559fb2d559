// The agent's local registry as a stranger on the network sees it: read-only unless write
// credentials were given; and the agent repairing a tag a writer moved while Ground Control's
// heartbeat answers vouch that the state is unchanged (so the pass makes no state request).
import { readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { MediaType } from "@harbor-satellite/oci";
import { TestCA } from "@harbor-satellite/testkit/spiffe";
import { parse } from "smol-toml";
import { beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../flags/usage-error.js";
import { seedImage } from "../replication/testing/seed-upstream.js";
import { createFakeClock } from "../scheduler/testing/fake-clock.js";
import { startAgent, type AgentDeps } from "./agent.js";
import { STATE_REPO, TOKEN, useAgentWorld } from "./testing/agent-test-kit.js";

const WRITER = { user: "site-ci", password: "local-push-secret" };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

let answer: { satelliteStateUrl?: string; satelliteStateDigest?: string };
const w = useAgentWorld({ name: "agent-registry", logLevel: "info", syncAnswer: () => answer });
const { waitFor } = w;
beforeEach(() => {
  answer = {};
});

/** Publishes group `web` with `artifacts` and the config; returns the satellite state's digest. */
const publishState = (artifacts: { repository: string; tag: string[] }[], config: object) =>
  w.publishState({ web: artifacts }, config).satelliteDigest;

const start = (clock = createFakeClock(Date.now()), ...extra: string[]) => startWith({}, clock, ...extra);
const startWith = (more: Partial<AgentDeps>, clock = createFakeClock(Date.now()), ...extra: string[]) =>
  startAgent(
    w.args("--token", TOKEN, ...extra),
    w.deps({
      clock,
      random: () => 0.5,
      metrics: { collect: async () => ({ cpuPercent: 0, memoryUsedBytes: 1n, storageUsedBytes: 1n }) },
      ...more,
    }),
  );

const head = async (url: string, reference: string) =>
  (await fetch(`${url}/v2/library/nginx/manifests/${reference}`, { method: "HEAD" })).headers.get(
    "docker-content-digest",
  );

describe("the agent's local registry", () => {
  it("is read-only for clients by default: pushes and deletes get 405 UNSUPPORTED", async () => {
    const nginx = seedImage(w.registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    publishState([{ repository: "library/nginx", tag: ["1"] }], {});
    w.agent = await start();
    const url = w.agent.registryUrl;
    await waitFor(
      async () => (await head(url, "1")) === nginx.digest && w.agent!.status().passes > 0,
      "image replicated, pass finished",
    );
    const index = await readFile(join(w.dir, "index.json"), "utf8");
    for (const [method, path] of [
      ["PUT", "/v2/library/nginx/manifests/1"],
      ["DELETE", "/v2/library/nginx/manifests/1"],
      ["DELETE", `/v2/library/nginx/manifests/${nginx.digest}`],
      ["POST", "/v2/library/nginx/blobs/uploads/"],
    ]) {
      const res = await fetch(`${url}${path}`, {
        method,
        body: method === "PUT" ? "{}" : undefined,
        headers: { authorization: basic(WRITER.user, WRITER.password) },
      });
      const body = (await res.json()) as { errors: { code: string }[] };
      expect([res.status, body.errors[0].code, res.headers.get("allow")], `${method} ${path}`).toEqual([
        405,
        "UNSUPPORTED",
        "GET, HEAD",
      ]);
    }
    expect(await readFile(join(w.dir, "index.json"), "utf8")).toBe(index);
    expect(w.captured.text()).toMatch(/"writes":"read-only".*local registry listening/);
  });

  it("refuses to start on a credentials file it cannot use", async () => {
    const error = await start(undefined, "--registry-write-credentials-file", join(w.dir, "missing")).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/cannot read the registry write credentials file .*ENOENT/);
  });

  it("with write credentials: writers push; a tag they move off the state's digest is put back on a pass Ground Control vouched for", async () => {
    const credentials = join(w.dir, "..", `writers-${Date.now()}`);
    await writeFile(credentials, `${WRITER.user}:${WRITER.password}\n`, { mode: 0o600 });
    const nginx = seedImage(w.registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    const digest = publishState([{ repository: "library/nginx", tag: ["1"] }], {
      app_config: { state_replication_interval: "@every 60s", heartbeat_interval: "@every 10s" },
    });
    answer = { satelliteStateUrl: `${w.registry.url}/${STATE_REPO}:latest`, satelliteStateDigest: digest };
    const clock = createFakeClock(Date.now());
    w.agent = await start(clock, "--registry-write-credentials-file", credentials);
    const url = w.agent.registryUrl;
    await waitFor(async () => (await head(url, "1")) === nginx.digest, "image replicated");
    // Two passes: the first heartbeat may answer before the first pass is applied, which starts
    // another (reading the state); from then on every pass is vouched for.
    await waitFor(
      () => w.agent!.status().jobs["state-replication"].running === false && w.agent!.status().passes >= 2,
      "two passes done",
      { advance: () => clock.advance(5_000) },
    );

    // A writer moves nginx:1 onto another manifest (one that reuses the stored config and layer).
    const served = JSON.parse(await (await fetch(`${url}/v2/library/nginx/manifests/1`)).text()) as { config: unknown };
    const other = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: served.config, layers: [] }),
    );
    const anonymous = await fetch(`${url}/v2/library/nginx/manifests/1`, {
      method: "PUT",
      body: other,
      headers: { "content-type": MediaType.OciManifest },
    });
    expect([anonymous.status, anonymous.headers.get("www-authenticate")]).toEqual([
      401,
      'Basic realm="harbor-satellite", charset="UTF-8"',
    ]);
    const pushed = await fetch(`${url}/v2/library/nginx/manifests/1`, {
      method: "PUT",
      body: other,
      headers: { "content-type": MediaType.OciManifest, authorization: basic(WRITER.user, WRITER.password) },
    });
    expect(pushed.status).toBe(201);
    const moved = pushed.headers.get("docker-content-digest");
    expect(await head(url, "1")).toBe(moved);

    // Heartbeats vouch the state is unchanged; the next pass reads no state and repairs the tag.
    const stateReads = () => w.registry.requests.filter((r) => r.path.startsWith(`/v2/${STATE_REPO}/`)).length;
    const reads = stateReads();
    await waitFor(async () => (await head(url, "1")) === nginx.digest, "the tag put back", {
      advance: () => clock.advance(5_000),
    });
    await waitFor(() => w.captured.text().includes("repaired from upstream"), "the repair logged");
    expect(stateReads()).toBe(reads);
    expect(w.captured.text()).toContain(
      `"image":"library/nginx:1","problem":"tag moved","problems":1,"from":"${moved}","to":"${nginx.digest}"`,
    );
    await rm(credentials, { force: true });
  });

  it("with TLS and read credentials: serves https to readers only, and gives containerd the CA and a reader's header", async () => {
    const ca = await TestCA.create("agent.test");
    const leaf = await ca.issueSvid("spiffe://agent.test/registry", { noUriSan: true, ipAddresses: ["127.0.0.1"] });
    const [cert, key, readers] = [
      join(w.dir, "..", `tls-${Date.now()}.crt`),
      join(w.dir, "..", `tls-${Date.now()}.key`),
      join(w.dir, "..", `readers-${Date.now()}`),
    ];
    await Promise.all([
      writeFile(cert, leaf.certPem),
      writeFile(key, leaf.keyPem, { mode: 0o600 }),
      writeFile(readers, "node:pull-secret\n", { mode: 0o600 }),
    ]);
    const nginx = seedImage(w.registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    publishState([{ repository: "library/nginx", tag: ["1"] }], {});
    const runtimePaths = {
      containerdConfig: join(w.dir, "..", `containerd-${Date.now()}.toml`),
      containerdCertsDir: join(w.dir, "certs.d"),
    };
    w.agent = await startWith(
      { runtimePaths },
      undefined,
      "--registry-tls-cert",
      cert,
      "--registry-tls-key",
      key,
      "--registry-read-credentials-file",
      readers,
      "--mirrors",
      "containerd:docker.io",
    );
    const url = w.agent.registryUrl;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const get = (path: string, authorization?: string) =>
      new Promise<{ status: number; digest: unknown }>((resolve, reject) => {
        const req = request(
          `${url}${path}`,
          {
            method: "HEAD",
            ca: ca.certificate.toString(),
            agent: false,
            headers: authorization ? { authorization } : {},
          },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, digest: res.headers["docker-content-digest"] });
          },
        );
        req.on("error", reject);
        req.end();
      });
    await waitFor(
      async () => (await get("/v2/library/nginx/manifests/1", basic("node", "pull-secret"))).digest === nginx.digest,
      "image served to the reader",
    );
    expect((await get("/v2/library/nginx/manifests/1")).status).toBe(401);
    expect((await get("/v2/")).status).toBe(401);
    expect(w.captured.text()).toMatch(/"readers":\["node"\].*local registry listening/);
    expect(w.captured.text()).not.toContain("pull-secret");
    const hosts = parse(await readFile(join(w.dir, "certs.d", "docker.io", "hosts.toml"), "utf8")) as {
      host: Record<string, unknown>;
    };
    expect(hosts.host).toEqual({
      [url]: { capabilities: ["pull", "resolve"], ca: cert, header: { Authorization: [basic("node", "pull-secret")] } },
    });
    await Promise.all([cert, key, readers, runtimePaths.containerdConfig].map((f) => rm(f, { force: true })));
  });
});
