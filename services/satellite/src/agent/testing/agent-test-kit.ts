// What the agent's in-process tests share: a logger whose lines they can read, publishing a state
// document into the fake registry as Ground Control or Harbor would, waiting for a condition with
// the logs in the failure, and the world a token-mode agent runs in (Harbor as the OCI client's
// fake registry, Ground Control as the fake Connect one, a data dir) with its flags and deps.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { createLogger, type Logger } from "@harbor-satellite/telemetry";
import { stateDocuments, stateImage } from "@harbor-satellite/testkit";
import { afterEach, beforeEach } from "vitest";
import type { AgentDeps } from "../agent.js";
import type { RunningAgent } from "../agent-state.js";
import { parseAgentArgs } from "../agent-options.js";
import {
  startFakeGroundControl,
  type FakeGroundControl,
  type FakeGroundControlOptions,
} from "./fake-ground-control.js";

export interface CapturedLogs {
  logger: Logger;
  /** Every line logged so far. */
  text(): string;
}

export function captureLogs(level: "debug" | "info" = "info"): CapturedLogs {
  let text = "";
  const destination = new Writable({
    write: (chunk: Buffer, _encoding, callback) => ((text += chunk.toString()), callback()),
  });
  return { logger: createLogger({ name: "satellite", level, destination }), text: () => text };
}

/** Stores `json` as a state artifact tagged `latest` in `repository`; returns its manifest digest. */
export function publishDocument(registry: FakeRegistry, repository: string, json: string): string {
  const image = stateImage(json);
  for (const blob of image.blobs) registry.putBlob(blob);
  return registry.putManifest(repository, "latest", image.manifest, image.mediaType);
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Called between checks instead of a 20 ms sleep (e.g. to move a fake clock). */
  advance?: () => Promise<void>;
  /** Appended to the failure (the last 3,000 characters). */
  logs?: () => string;
}

/** Resolves with the first truthy value `check` returns; throws naming `what` after the timeout. */
export async function waitUntil<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms\n${options.logs?.().slice(-3000) ?? ""}`);
    await (options.advance?.() ?? new Promise((resolve) => setTimeout(resolve, 20)));
  }
}

/** The robot Harbor knows and Ground Control hands out at enrolment. */
export const ROBOT = { username: "robot$edge", password: "robot-pass-93x" };
/** The ZTR token the fake Ground Control accepts. */
export const TOKEN = "feedfacefeedfacefeedfacefeedface";
/** The satellite state's repository, as Ground Control names it for satellite `edge`. */
export const STATE_REPO = "satellite/satellite-state/edge/state";

export interface AgentWorld {
  /** Harbor: the OCI client's fake registry, Docker token auth with ROBOT. */
  registry: FakeRegistry;
  /** Ground Control: enrols `edge` for TOKEN with ROBOT, its state at `registry`'s STATE_REPO:latest. */
  gc: FakeGroundControl;
  /** The agent's data dir. */
  dir: string;
  captured: CapturedLogs;
  /** Stops `agent` (when given), Ground Control and Harbor, and removes the data dir. */
  close(agent?: RunningAgent): Promise<void>;
}

export interface AgentWorldOptions {
  /** Names the data dir. */
  name: string;
  logLevel?: "debug" | "info";
  /** Ground Control's answer to each heartbeat. */
  syncAnswer?: FakeGroundControlOptions["syncAnswer"];
}

export async function startAgentWorld(options: AgentWorldOptions): Promise<AgentWorld> {
  const registry = await startFakeRegistry({ mode: "bearer", ...ROBOT });
  const gc = await startFakeGroundControl({
    enrolment: {
      satellite: "edge",
      stateUrl: `${registry.url}/${STATE_REPO}:latest`,
      harborUrl: registry.url,
      ...ROBOT,
    },
    validToken: TOKEN,
    syncAnswer: options.syncAnswer,
  });
  const dir = await mkdtemp(join(tmpdir(), `${options.name}-`));
  return {
    registry,
    gc,
    dir,
    captured: captureLogs(options.logLevel),
    close: async (agent) => {
      await agent?.stop();
      await gc.close();
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Publishes like Ground Control: each group's state and the config (if any) as artifacts, and the
 * satellite state naming them by tag URL (`…/state:latest`). Returns the two documents' digests.
 */
export function publishSiteState(
  registry: FakeRegistry,
  groups: Record<string, { repository: string; tag: string[] }[]>,
  config?: object,
): { satelliteDigest: string; configDigest: string | undefined } {
  const urls = Object.entries(groups).map(([name, artifacts]) => {
    publishDocument(
      registry,
      `satellite/group-state/${name}/state`,
      stateDocuments.group(name, registry.url, artifacts),
    );
    return `${registry.url}/satellite/group-state/${name}/state:latest`;
  });
  const configDigest = config
    ? publishDocument(registry, "satellite/config-state/edge/state", JSON.stringify(config))
    : undefined;
  const satelliteDigest = publishDocument(
    registry,
    STATE_REPO,
    stateDocuments.satellite(urls, config ? `${registry.url}/satellite/config-state/edge/state:latest` : undefined),
  );
  return { satelliteDigest, configDigest };
}

/** The agent's flags against Ground Control at `gcUrl`: data in `dir`, registry on a free loopback port. */
export const agentArgs = (gcUrl: string, dir: string, ...extra: string[]) =>
  parseAgentArgs(["--ground-control-url", gcUrl, "--data-dir", dir, "--registry-addr", "127.0.0.1:0", ...extra], {});

/** What a test agent runs with: a fixed device fingerprint and host metrics, cheap scrypt, one worker, no retries. */
export const agentDeps = (logger: Logger, extra: Partial<AgentDeps> = {}): AgentDeps => ({
  logger,
  fingerprint: async () => "device-a",
  scrypt: { N: 1024, r: 8, p: 1 },
  workerThreads: 1,
  upstreamRetry: { attempts: 1 },
  metrics: { collect: async () => ({ cpuPercent: 3.5, memoryUsedBytes: 1000n, storageUsedBytes: 2000n }) },
  ...extra,
});

/** The heartbeats Ground Control received, oldest first. */
export const heartbeats = (gc: FakeGroundControl) => gc.calls.filter((c) => c.rpc === "Sync").map((c) => c.sync!);

/** A token-mode agent's world for each test of a file, with the helpers bound to it. */
export interface AgentTestWorld extends Omit<AgentWorld, "close"> {
  logger: Logger;
  /** The agent under test: stopped after each test. */
  agent: RunningAgent | undefined;
  publishState(
    groups: Record<string, { repository: string; tag: string[] }[]>,
    config?: object,
  ): ReturnType<typeof publishSiteState>;
  args(...extra: string[]): ReturnType<typeof agentArgs>;
  deps(extra?: Partial<AgentDeps>): AgentDeps;
  syncs(): ReturnType<typeof heartbeats>;
  /** The newest heartbeat matching `predicate`, as a check for waitFor. */
  lastSyncWith(
    predicate: (s: ReturnType<typeof heartbeats>[number]) => boolean,
  ): () => ReturnType<typeof heartbeats>[number] | undefined;
  waitFor<T>(
    check: () => T | undefined | false | Promise<T | undefined | false>,
    what: string,
    options?: Omit<WaitOptions, "logs">,
  ): Promise<T>;
}

/**
 * Starts a fresh AgentWorld before each test of the calling file and closes it (agent included)
 * after; the returned object's fields are the current test's.
 */
export function useAgentWorld(options: AgentWorldOptions): AgentTestWorld {
  let world: AgentWorld;
  const w = {
    agent: undefined,
    publishState: (groups, config) => publishSiteState(w.registry, groups, config),
    args: (...extra) => agentArgs(w.gc.url, w.dir, ...extra),
    deps: (extra) => agentDeps(w.logger, extra),
    syncs: () => heartbeats(w.gc),
    lastSyncWith: (predicate) => () => heartbeats(w.gc).findLast(predicate),
    waitFor: (check, what, more) => waitUntil(check, what, { ...more, logs: w.captured.text }),
  } as AgentTestWorld;
  beforeEach(async () => {
    world = await startAgentWorld(options);
    Object.assign(w, { registry: world.registry, gc: world.gc, dir: world.dir, captured: world.captured });
    w.logger = world.captured.logger;
  });
  afterEach(async () => {
    await world.close(w.agent);
    w.agent = undefined;
  });
  return w;
}
