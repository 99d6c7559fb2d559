// Group tag filters end to end: PostgreSQL, docker-registry behind the Harbor emulator, a
// `ground-control` process polling tag filters every second, and a real `satellite` process. A
// group names apps/web by semver range (newest 2 of ">=1.2 <2"); the group state in Harbor lists
// the concrete tags pinned to their digests and the satellite serves exactly those. A newer
// matching tag pushed into Harbor is picked up by the poll: the group state is republished, the
// satellite state Ground Control serves pins the new group state, and the satellite serves the
// new tag and drops the one that fell out. A bad filter is refused with InvalidArgument.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DriftState } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { createRegistryClient, type RegistryClient } from "@harbor-satellite/oci";
import {
  buildImage,
  freePort,
  makeBlobDir,
  pushImage,
  removeBlobDir,
  type SyntheticImage,
} from "@harbor-satellite/testkit";
import { readState } from "../ground-control/state-artifacts.js";
import { adminClients } from "./agent-helpers.js";
import { FAST_CONFIG, HARBOR, startFleetStack, type FleetStack } from "./fleet-stack.js";
import { startGroundControlProcess } from "./ground-control-process.js";
import { eventually, GiveUp, REPO_ROOT, startProcess, type RunningProcess } from "./processes.js";

const ADMIN_PASSWORD = "e2e-tag-filters-admin-password";
const FILTERED = { repository: "apps/web", semverRange: ">=1.2 <2", newestCount: 2 };

describe("group tag filters, end to end", () => {
  let stack: FleetStack;
  let sat: RunningProcess | undefined;
  let local: RegistryClient;
  let blobs: string;
  const images: Record<string, SyntheticImage> = {};

  /** Pushes a distinct image as apps/web:<tag> through the emulator (which records the push time). */
  const pushWeb = async (tag: string) => {
    images[tag] = await buildImage({ layerSizes: [4 << 10], dir: blobs, labels: { version: tag } });
    await pushImage(stack.emu.url, "apps/web", tag, images[tag], HARBOR);
  };
  const groupState = async () =>
    (await readState(stack.emu.url, "satellite/group-state/web/state", HARBOR)) as Awaited<
      ReturnType<typeof readState>
    > & { json: { artifacts?: Array<{ repository: string; tag: string[]; digest?: string }> } };
  const listed = (state: Awaited<ReturnType<typeof groupState>>) =>
    (state.json.artifacts ?? []).map((a) => `${a.tag.join(",")}@${a.digest ?? ""}`);
  const entry = (tag: string) => `${tag}@${images[tag].manifestDigest}`;
  const served = async (tag: string) => (await local.headManifest("apps/web", tag))?.digest;

  beforeAll(async () => {
    blobs = await makeBlobDir();
    stack = await startFleetStack({
      name: "tag-filters-e2e",
      project: "apps",
      images: [],
      adminPassword: ADMIN_PASSWORD,
      groundControlEnv: { TAG_FILTER_POLL_SECONDS: "1" },
    });
    // 2.0.0 is outside the range, 1.1.0 below it; "latest" is no version.
    for (const tag of ["1.1.0", "1.2.0", "2.0.0", "1.2.1", "latest"]) await pushWeb(tag);
    const satPort = await freePort();
    local = createRegistryClient({ url: `http://127.0.0.1:${satPort}`, retry: { attempts: 1 } });

    await stack.admin.fleet.createConfig({ config: "fast", configJson: JSON.stringify(FAST_CONFIG) });
    await stack.admin.fleet.createGroup({ group: "web", artifacts: [FILTERED] });
    await stack.admin.fleet.createSatellite({ satellite: "edge-1", groups: ["web"], config: "fast" });
    const { token } = await stack.admin.identity.issueZtrToken({ satellite: "edge-1" });
    const tokenFile = join(stack.work, "ztr-token");
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    sat = startProcess(
      "satellite",
      [
        "--ground-control-url",
        stack.gcUrl,
        "--token-file",
        tokenFile,
        "--data-dir",
        join(stack.work, "satellite"),
        "--registry-addr",
        `127.0.0.1:${satPort}`,
      ],
      { LOG_LEVEL: "warn" },
    );
  });

  afterAll(async () => {
    local?.close();
    await sat?.stop();
    await stack?.stop();
    if (blobs) await removeBlobDir(blobs);
  });

  const alive = () => {
    if (sat && sat.proc.exitCode !== null)
      throw new GiveUp(`satellite exited with ${sat.proc.exitCode}: ${sat.output()}`);
  };

  it("publishes the newest matching tags pinned to their digests, and the satellite serves exactly those", async () => {
    const state = await eventually(
      async () => {
        const s = await groupState();
        if (listed(s).length !== 2) throw new Error(`group state lists ${listed(s).join(" ")}`);
        return s;
      },
      60_000,
      "group state published",
    );
    expect(listed(state)).toEqual([entry("1.2.1"), entry("1.2.0")]);
    expect(state.json.artifacts?.every((a) => a.repository === "apps/web")).toBe(true);
    // The group as stored keeps the filter, not the resolution.
    const { group } = await stack.admin.fleet.getGroup({ group: "web" });
    expect(group?.artifacts).toMatchObject([{ ...FILTERED, tags: [], digest: "" }]);

    await eventually(
      async () => {
        alive();
        const [a, b] = await Promise.all([served("1.2.1"), served("1.2.0")]);
        if (!a || !b) throw new Error("not served yet");
      },
      90_000,
      "satellite serves 1.2.1 and 1.2.0",
    );
    expect(await served("1.2.1")).toBe(images["1.2.1"].manifestDigest);
    expect(await served("1.2.0")).toBe(images["1.2.0"].manifestDigest);
    expect(await served("2.0.0")).toBeUndefined();
    expect(await served("1.1.0")).toBeUndefined();
  });

  it("re-resolves after the poll when a newer matching tag is pushed: group state, satellite state and satellite follow", async () => {
    const before = await groupState();
    const admin = { username: "admin", password: ADMIN_PASSWORD };
    const satelliteState = async () =>
      (await readState(stack.gcUrl, "satellite/satellite-state/edge-1/state", admin)).json as { states: string[] };
    expect((await satelliteState()).states).toEqual([
      `${stack.emu.url}/satellite/group-state/web/state@${before.digest}`,
    ]);

    await pushWeb("1.3.0");
    await pushWeb("2.1.0"); // outside the range: changes nothing by itself
    const after = await eventually(
      async () => {
        const s = await groupState();
        if (s.digest === before.digest) throw new Error("group state not republished yet");
        return s;
      },
      60_000,
      "group state republished after the poll",
    );
    expect(listed(after)).toEqual([entry("1.3.0"), entry("1.2.1")]);
    await eventually(
      async () => {
        const { states } = await satelliteState();
        if (states[0] !== `${stack.emu.url}/satellite/group-state/web/state@${after.digest}`)
          throw new Error(`satellite state still lists ${states.join(" ")}`);
      },
      60_000,
      "satellite state pins the new group state",
    );
    await eventually(
      async () => {
        alive();
        if ((await served("1.3.0")) !== images["1.3.0"].manifestDigest) throw new Error("1.3.0 not served yet");
        if ((await served("1.2.0")) !== undefined) throw new Error("1.2.0 still served");
      },
      90_000,
      "satellite serves 1.3.0 and dropped 1.2.0",
    );
    expect(await served("1.2.1")).toBe(images["1.2.1"].manifestDigest);
    // The drift view desires what the filter resolved to, pinned: in sync once the satellite holds both.
    const drift = await eventually(
      async () => {
        const d = (await stack.admin.heartbeat.getSatelliteDrift({ satellite: "edge-1" })).drift!;
        if (d.state !== DriftState.IN_SYNC) throw new Error(`${DriftState[d.state]}: ${d.reason}`);
        return d;
      },
      60_000,
      "edge-1 in sync with the resolved tags",
    );
    expect(drift).toMatchObject({ desiredImageCount: 2, imageDriftCount: 0, reason: "all 2 desired images held" });
  });

  it("refuses an unusable filter with InvalidArgument and keeps the group as it was", async () => {
    for (const bad of [
      { repository: "apps/web", tagRegex: "(a+" },
      { repository: "apps/web", semverRange: "one point two" },
      { repository: "apps/web", semverRange: "^1", newestCount: 0 },
    ]) {
      const error = await stack.admin.fleet.updateGroup({ group: "web", artifacts: [bad] }).catch((e: unknown) => e);
      expect(error, JSON.stringify(bad)).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    }
    const { group } = await stack.admin.fleet.getGroup({ group: "web" });
    expect(group?.artifacts).toMatchObject([{ ...FILTERED, tags: [] }]);
  });

  it("groundctl creates a filtered group with --tag-regex/--newest and shows the refusal of a bad filter (exit 1, invalid_argument)", async () => {
    const groundctl = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [join(REPO_ROOT, "bin/groundctl.mjs"), ...args],
          {
            cwd: stack.work,
            env: {
              PATH: process.env.PATH,
              HOME: stack.work,
              HARBOR_SATELLITE_RUN: process.env.HARBOR_SATELLITE_RUN,
              GROUNDCTL_URL: stack.gcUrl,
              GROUNDCTL_PASSWORD: ADMIN_PASSWORD,
            },
          },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const created = await groundctl([
      "groups",
      "create",
      "web-1-2",
      "--tag-regex",
      "apps/web=^1\\.2\\.",
      "--newest",
      "apps/web=5",
      "-o",
      "json",
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      name: "web-1-2",
      artifacts: [{ repository: "apps/web", tagRegex: "^1\\.2\\.", newestCount: 5 }],
    });
    const state = await eventually(
      async () => {
        const s = await readState(stack.emu.url, "satellite/group-state/web-1-2/state", HARBOR);
        return s.json as { artifacts: Array<{ tag: string[]; digest: string }> };
      },
      60_000,
      "group web-1-2 published",
    );
    expect(state.artifacts.map((a) => `${a.tag.join(",")}@${a.digest}`)).toEqual([entry("1.2.1"), entry("1.2.0")]);

    const refused = await groundctl(["groups", "update", "web-1-2", "--tag-regex", "apps/web=^(?!v)"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^groundctl: invalid_argument: artifacts\[0\]\.tag_regex "\^\(\?!v\)" is not an RE2 regular expression/m,
    );
    const usage = await groundctl(["groups", "update", "web-1-2", "--semver", "apps/web=^1", "--newest", "apps/web=0"]);
    expect(usage.code).toBe(2);
    const { group } = await stack.admin.fleet.getGroup({ group: "web-1-2" });
    expect(group?.artifacts).toMatchObject([{ repository: "apps/web", tagRegex: "^1\\.2\\.", newestCount: 5 }]);
  });

  it("with the poll off, Harbor's webhook (authenticated with HARBOR_WEBHOOK_SECRET) republishes the groups filtering the pushed repository", async () => {
    const secret = "e2e-webhook-secret";
    const { gc, url } = await startGroundControlProcess({
      harborUrl: stack.emu.url,
      adminPassword: ADMIN_PASSWORD,
      databaseUrl: await stack.pg.createDatabase("gc_tag_filters_webhook"),
      env: { TAG_FILTER_POLL_SECONDS: "0", HARBOR_WEBHOOK_SECRET: secret },
    });
    try {
      const admin = await adminClients(url, ADMIN_PASSWORD);
      await admin.fleet.createGroup({ group: "hooked", artifacts: [{ repository: "apps/web", semverRange: "^1" }] });
      const published = async (what: string, tag: string) =>
        eventually(
          async () => {
            const s = await readState(stack.emu.url, "satellite/group-state/hooked/state", HARBOR);
            const tags = (s.json as { artifacts: Array<{ tag: string[] }> }).artifacts.map((a) => a.tag.join(","));
            if (tags[0] !== tag) throw new Error(`group state lists ${tags.join(" ")}`);
            return s;
          },
          30_000,
          what,
        );
      await published("hooked published with 1.3.0", "1.3.0");
      const hook = (body: unknown, authorization = secret) =>
        fetch(`${url}/webhooks/harbor`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization },
          body: JSON.stringify(body),
        });
      const push = (repository: string) => ({
        type: "PUSH_ARTIFACT",
        occur_at: Math.floor(Date.now() / 1000),
        operator: "admin",
        event_data: { repository: { namespace: "apps", name: repository.split("/")[1], repo_full_name: repository } },
      });

      expect((await hook(push("apps/web"), "wrong")).status).toBe(401);
      expect((await fetch(`${url}/webhooks/harbor`)).status).toBe(405);
      const notJson = await fetch(`${url}/webhooks/harbor`, {
        method: "POST",
        headers: { authorization: secret },
        body: "{",
      });
      expect(notJson.status).toBe(400);
      const pulled = await hook({ ...push("apps/web"), type: "PULL_ARTIFACT" });
      expect(await pulled.json()).toEqual({ ignored: "PULL_ARTIFACT" });

      await pushWeb("1.4.0");
      // No poll runs in this process: only the webhook can bring 1.4.0 in.
      const other = await hook(push("apps/other"));
      expect(await other.json()).toEqual({ queuedGroups: [] });
      const answered = await hook(push("apps/web"));
      expect(answered.status).toBe(200);
      expect(await answered.json()).toEqual({ queuedGroups: ["hooked"] });
      await published("hooked republished with 1.4.0 after the webhook", "1.4.0");
    } finally {
      await gc.stop();
    }
  });
});
