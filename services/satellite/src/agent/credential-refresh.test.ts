import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig, type SatelliteConfig } from "../config/satellite-config.js";
import { looksSealed } from "../fingerprint/sealed-box.js";
import { createConfigAtRest } from "./config-at-rest.js";
import { createCredentialRefresh, CREDENTIALS_ACK_FILE, NEEDS_REENROLMENT_REFERENCE } from "./credential-refresh.js";
import type { Heartbeat } from "./ground-control-client.js";

const SCRYPT = { N: 1024, r: 8, p: 1 };
const logger = pino({ level: "silent" });
const OLD = "Old-secret-1";
const NEW = "New-secret-2";
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "credential-refresh-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function enrolled(): SatelliteConfig {
  const c = defaultConfig();
  c.app_config.ground_control_url = "https://gc";
  c.state_config = {
    ...c.state_config,
    auth: { ...c.state_config.auth, url: "https://harbor", username: "robot$edge", password: OLD },
    state: "https://gc/satellite/satellite-state/edge/state:latest",
  };
  return c;
}

const beat = (): Heartbeat => ({
  name: "edge",
  activity: "",
  stateReportInterval: "",
  latestStateDigest: "",
  latestConfigDigest: "",
  memoryUsedBytes: 0n,
  storageUsedBytes: 0n,
  cpuPercent: 0,
  createdAt: new Date(0),
  lastSyncDurationMs: 0n,
  cachedImages: [],
  errors: [],
});

async function setUp(options: { save?: (c: SatelliteConfig) => Promise<void> } = {}) {
  const atRest = createConfigAtRest({
    path: join(dir, "config.json"),
    logger,
    scrypt: SCRYPT,
    fingerprint: async () => "device-a",
  });
  let config = enrolled();
  const triggered: string[] = [];
  const refresh = await createCredentialRefresh({
    dataDir: dir,
    config: () => config,
    adopt: (next) => (config = next),
    save: options.save ?? ((c) => atRest.save(c)),
    triggerHeartbeat: () => triggered.push("heartbeat"),
    triggerPass: () => triggered.push("pass"),
    logger,
  });
  return { atRest, refresh, triggered, config: () => config };
}

const delivered = {
  stateUrl: "",
  stateDigest: "",
  robotCredentials: { username: "robot$edge", password: NEW, rotationId: "r1" },
};
const nothing = { stateUrl: "", stateDigest: "" };

describe("satellite credential refresh", () => {
  it("saves delivered credentials sealed, uses them, and acknowledges the rotation (also after a restart)", async () => {
    const { atRest, refresh, config } = await setUp();
    expect(refresh.decorate(beat())).toMatchObject({ acceptsRobotCredentials: true, robotCredentialsAck: "" });

    await refresh.onAnswer(delivered);

    expect(config().state_config.auth.password).toBe(NEW);
    const text = await readFile(atRest.path, "utf8");
    expect(looksSealed(JSON.parse(text))).toBe(true);
    expect(text).not.toContain(NEW);
    expect(await atRest.load()).toMatchObject({ config: { state_config: { auth: { password: NEW } } } });
    expect(refresh.decorate(beat()).robotCredentialsAck).toBe("r1");
    const ack = join(dir, CREDENTIALS_ACK_FILE);
    expect((await stat(ack)).mode & 0o777).toBe(0o600);
    expect((await setUp()).refresh.decorate(beat()).robotCredentialsAck).toBe("r1");
  });

  it("neither uses nor acknowledges credentials it could not save", async () => {
    const { refresh, config } = await setUp({ save: () => Promise.reject(new Error("disk full")) });
    await refresh.onAnswer(delivered);
    expect(config().state_config.auth.password).toBe(OLD);
    expect(refresh.decorate(beat()).robotCredentialsAck).toBe("");
  });

  it("asks Ground Control after a 401, and reports needs re-enrolment only after a second 401 with nothing new", async () => {
    const { refresh, triggered } = await setUp();
    refresh.harborRefused();
    expect(triggered).toEqual(["heartbeat"]);
    expect(refresh.decorate(beat()).errors).toEqual([]);
    await refresh.onAnswer(nothing);
    expect(triggered).toEqual(["heartbeat", "pass"]);
    refresh.harborRefused();
    expect(refresh.needsReenrolment).toMatch(/new ZTR token/);
    expect(refresh.decorate(beat()).errors).toEqual([
      { reference: NEEDS_REENROLMENT_REFERENCE, message: refresh.needsReenrolment },
    ]);
  });

  it("a 401 then a delivered rotation retries the pass with the new secret and never reports re-enrolment", async () => {
    const { refresh, triggered } = await setUp();
    refresh.harborRefused();
    await refresh.onAnswer(delivered);
    expect(triggered).toEqual(["heartbeat", "pass"]);
    refresh.harborRefused(); // refused with the NEW secret: asks again, no verdict yet
    expect(refresh.needsReenrolment).toBeUndefined();
  });

  it("a pass that went through forgets an earlier 401", async () => {
    const { refresh } = await setUp();
    refresh.harborRefused();
    await refresh.onAnswer(nothing);
    refresh.passSucceeded();
    refresh.harborRefused();
    expect(refresh.needsReenrolment).toBeUndefined();
  });
});
