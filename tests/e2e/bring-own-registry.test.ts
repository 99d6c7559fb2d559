// Issue 12 item 1 end to end: a satellite whose Ground Control config says bring_own_registry,
// with a real docker-registry behind htpasswd (bcrypt) Basic auth as its registry. Ground Control,
// PostgreSQL, the Harbor emulator over docker-registry and the satellite are real processes.
// The config takes effect at the satellite's next start; from then on nothing listens on the
// satellite's registry port, images go into the bring-your-own registry with the upstream's
// digests and bytes, skopeo pulls them from there, the heartbeat lists them there, and a target
// that is down is reported (URL and cause, never the password) and filled once it is up.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRegistryClient } from "@harbor-satellite/oci";
import { freePort } from "@harbor-satellite/testkit";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { createEdgeSite, FAST_CONFIG, startSatelliteProcess } from "./agent-helpers.js";
import { startFleetStack, type FleetStack } from "./fleet-stack.js";
import { eventually, GiveUp, type RunningProcess } from "./processes.js";

const run = promisify(execFile);
const ADMIN_PASSWORD = "e2e-byo-admin-password";
const BYO_USER = { username: "site-pusher", password: "byo-e2e-secret-41x" };

describe("satellite with bring_own_registry, end to end", () => {
  let stack: FleetStack;
  let byo: DockerRegistry | undefined;
  let byoPort: number;
  let byoUrl: string;
  let satPort: number;
  let sat: RunningProcess | undefined;
  let dataDir: string;
  let token: string;
  const outputs: string[] = [];

  beforeAll(async () => {
    stack = await startFleetStack({
      name: "byo-e2e",
      project: "apps",
      images: ["apps/nginx:1.27", "apps/alpine:3.20"],
      layerSizes: [2 << 20, 8 << 10],
      adminPassword: ADMIN_PASSWORD,
    });
    [byoPort, satPort] = await Promise.all([freePort(), freePort()]);
    byoUrl = `http://127.0.0.1:${byoPort}`;
    dataDir = join(stack.work, "satellite");
  });

  afterAll(async () => {
    outputs.push(sat?.output() ?? "");
    await sat?.stop();
    await byo?.stop();
    await stack?.stop();
    const all = outputs.join("\n");
    if (process.env.AGENT_E2E_DUMP) process.stdout.write(all);
    expect(all).not.toContain(BYO_USER.password);
    if (token) expect(all).not.toContain(token);
  });

  const status = async () => (await stack.admin.heartbeat.getSatelliteStatus({ satellite: "edge-byo" })).status!;
  const startSatellite = (args: string[]) => {
    sat = startSatelliteProcess({
      gcUrl: stack.gcUrl,
      dataDir,
      registryPort: satPort,
      args,
      env: { LOG_LEVEL: "info" },
    });
    return sat;
  };
  const alive = (proc: RunningProcess) => {
    if (proc.proc.exitCode !== null) throw new GiveUp(`satellite exited with ${proc.proc.exitCode}: ${proc.output()}`);
  };
  const byoClient = () => createRegistryClient({ url: byoUrl, credentials: BYO_USER, retry: { attempts: 1 } });
  const listening = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });

  it("takes bring_own_registry from Ground Control's config and applies it at the next start", async () => {
    const config = {
      app_config: {
        ...FAST_CONFIG.app_config,
        bring_own_registry: true,
        local_registry: { url: byoUrl, ...BYO_USER },
      },
    };
    await createEdgeSite(stack.admin, {
      satellite: "edge-byo",
      config: "byo",
      configJson: config,
      group: "web",
      artifacts: [{ repository: "apps/nginx", tags: ["1.27"] }],
    });
    token = (await stack.admin.identity.issueZtrToken({ satellite: "edge-byo" })).token;

    // First start: enrols, receives the config and says bring_own_registry waits for a restart.
    const first = startSatellite(["--token", token]);
    try {
      await eventually(
        async () => {
          alive(first);
          if (
            !/"app_config.bring_own_registry"\],"msg":"config fields that take effect after a restart"/.test(
              first.output(),
            )
          )
            throw new Error("config not applied yet");
        },
        90_000,
        "the config artifact applied",
      );
      expect(first.output()).toContain(`satellite registry listening on http://127.0.0.1:${satPort}`);
    } finally {
      await first.stop();
      outputs.push(first.output());
      sat = undefined;
    }
  });

  it("with the registry down: no listener of its own, the heartbeat names the registry and the cause", async () => {
    const second = startSatellite([]);
    const reported = await eventually(
      async () => {
        alive(second);
        const errors = (await status()).latest?.errors ?? [];
        const found = errors.find((e) => e.message.includes(`bring-your-own registry ${byoUrl} cannot be written`));
        if (!found) throw new Error(`no such heartbeat error yet: ${JSON.stringify(errors)}`);
        return found;
      },
      90_000,
      "a heartbeat reporting the unreachable registry",
    );
    expect(reported.message).toMatch(/ECONNREFUSED/);
    expect(reported.message).not.toContain(BYO_USER.password);
    expect(second.output()).toMatch(/bring_own_registry: images are replicated into this registry/);
    // The log names the registry and the cause too (the pass fails and is retried on its backoff).
    const logged = new RegExp(`bring-your-own registry ${byoUrl} cannot be written: [^"]*ECONNREFUSED`);
    await eventually(
      async () => {
        if (!logged.test(second.output())) throw new Error("not logged yet");
      },
      30_000,
      "the failure logged",
    );
    expect(second.output()).not.toContain("local registry listening");
    expect(second.output()).toContain(`satellite replicates into the bring-your-own registry ${byoUrl}`);
    expect(await listening(satPort)).toBe(false);
  });

  it("fills the registry once it is up: upstream digests and bytes, pulled by skopeo, listed in the heartbeat", async () => {
    byo = await startDockerRegistry({ htpasswd: BYO_USER, port: byoPort });
    const nginx = stack.images["apps/nginx"];
    const client = byoClient();
    try {
      const held = await eventually(
        async () => {
          alive(sat!);
          const manifest = await client.getManifest("apps/nginx", "1.27");
          return manifest;
        },
        90_000,
        "apps/nginx:1.27 in the bring-your-own registry",
      );
      expect(held.digest).toBe(nginx.manifestDigest);
      expect(held.bytes.equals(nginx.manifest)).toBe(true);
      for (const blob of [nginx.config, ...nginx.layers])
        expect(await client.headBlob("apps/nginx", blob.digest)).toEqual({ size: blob.size });
    } finally {
      client.close();
    }
    expect(await listening(satPort)).toBe(false);

    const creds = `--creds=${BYO_USER.username}:${BYO_USER.password}`;
    const inspected = JSON.parse(
      (await run("skopeo", ["inspect", "--tls-verify=false", creds, `docker://127.0.0.1:${byoPort}/apps/nginx:1.27`]))
        .stdout,
    ) as { Digest: string };
    expect(inspected.Digest).toBe(nginx.manifestDigest);
    const out = join(stack.work, "pulled-nginx");
    await run("skopeo", [
      "copy",
      "--src-tls-verify=false",
      "--src-creds",
      creds.slice(8),
      `docker://127.0.0.1:${byoPort}/apps/nginx:1.27`,
      `dir:${out}`,
    ]);
    const pulled = await readFile(join(out, "manifest.json"));
    expect(`sha256:${createHash("sha256").update(pulled).digest("hex")}`).toBe(nginx.manifestDigest);

    const latest = await eventually(
      async () => {
        const s = (await status()).latest;
        if (!s || s.errors.length > 0 || s.cachedImages.length === 0)
          throw new Error(`not yet: ${JSON.stringify(s?.errors)} ${JSON.stringify(s?.cachedImages)}`);
        return s;
      },
      60_000,
      "a heartbeat with no error and the image in the bring-your-own registry",
    );
    expect(latest.cachedImages.map((c) => c.reference)).toEqual([
      `127.0.0.1:${byoPort}/apps/nginx:1.27@${nginx.manifestDigest}`,
    ]);
    expect(latest.cachedImages[0].sizeBytes).toBeGreaterThan(2n << 20n);
  });

  it("replicates a group change into the registry, and later passes push nothing", async () => {
    await stack.admin.fleet.updateGroup({
      group: "web",
      artifacts: [
        { repository: "apps/nginx", tags: ["1.27"] },
        { repository: "apps/alpine", tags: ["3.20"] },
      ],
    });
    const alpine = stack.images["apps/alpine"];
    const client = byoClient();
    try {
      const held = await eventually(
        async () => {
          alive(sat!);
          return client.getManifest("apps/alpine", "3.20");
        },
        90_000,
        "apps/alpine:3.20 in the bring-your-own registry",
      );
      expect(held.bytes.equals(alpine.manifest)).toBe(true);
    } finally {
      client.close();
    }
    // The tag is pushed before the pass logs it: count from its log line on.
    await eventually(
      async () => {
        if (!/"image":"apps\/alpine:3.20"[^\n]*"msg":"image replicated"/.test(sat!.output()))
          throw new Error("not logged");
      },
      30_000,
      "alpine's replication logged",
    );
    // Two more heartbeats (each pass triggers or follows one): no image copied again.
    const copiedSoFar = (sat!.output().match(/"msg":"image replicated"/g) ?? []).length;
    const seen = new Set<string>();
    await eventually(
      async () => {
        const at = (await status()).latest?.requestCreateTime;
        if (at) seen.add(`${at.seconds}.${at.nanos}`);
        if (seen.size < 3) throw new Error(`heartbeats seen: ${seen.size}`);
      },
      60_000,
      "two more heartbeats",
    );
    expect((sat!.output().match(/"msg":"image replicated"/g) ?? []).length).toBe(copiedSoFar);
    const finished = sat!.output().match(/"blobs_copied":\d+[^\n]*"msg":"replication pass finished"/g) ?? [];
    expect(finished.length).toBeGreaterThan(0);
    expect(finished.at(-1)).toMatch(/"blobs_copied":[1-9]/); // the pass that brought alpine
  });
  it("puts back an image deleted from the registry behind its back (the audit reads the registry)", async () => {
    const nginx = stack.images["apps/nginx"];
    const deleted = await fetch(`${byoUrl}/v2/apps/nginx/manifests/${nginx.manifestDigest}`, {
      method: "DELETE",
      headers: {
        authorization: `Basic ${Buffer.from(`${BYO_USER.username}:${BYO_USER.password}`).toString("base64")}`,
      },
    });
    expect(deleted.status).toBe(202);
    const client = byoClient();
    try {
      const back = await eventually(
        async () => {
          alive(sat!);
          return client.getManifest("apps/nginx", "1.27");
        },
        60_000,
        "apps/nginx:1.27 back in the bring-your-own registry",
      );
      expect(back.bytes.equals(nginx.manifest)).toBe(true);
    } finally {
      client.close();
    }
    expect(sat!.output()).toMatch(/"image":"apps\/nginx:1.27","problem":"tag missing".*repaired from upstream/);
  });
});
