// The agent following Ground Control's heartbeat answers (in-process stand-ins as in
// agent.test.ts): a state URL that moved is followed and saved, no state is read while the
// answers vouch for the applied digest, and a new digest starts a pass at once.
import { describe, expect, it } from "vitest";
import { seedImage } from "../replication/testing/seed-upstream.js";
import { createFakeClock } from "../scheduler/testing/fake-clock.js";
import { startAgent } from "./agent.js";
import { STATE_REPO, TOKEN, useAgentWorld } from "./testing/agent-test-kit.js";

let answer: { satelliteStateUrl?: string; satelliteStateDigest?: string } = {};
const w = useAgentWorld({ name: "agent-answers", logLevel: "debug", syncAnswer: () => answer });
const { publishState, args, deps, lastSyncWith, waitFor } = w;

describe("satellite agent and Ground Control's heartbeat answers", () => {
  it("follows Ground Control's heartbeat answers: a moved state URL, no state request while the digest holds, a pass at once when it changes", async () => {
    const clock = createFakeClock(Date.now());
    seedImage(w.registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    const config = { app_config: { heartbeat_interval: "@every 10s", state_replication_interval: "@every 60s" } };
    const repository = STATE_REPO;
    const movedUrl = `${w.registry.url}/${repository}:moved`;
    const publishMoved = (groups: Parameters<typeof publishState>[0]) => {
      const published = publishState(groups, config);
      const latest = w.registry.manifest(repository, "latest")!;
      w.registry.putManifest(repository, "moved", latest.bytes, latest.mediaType);
      return published;
    };
    const first = publishMoved({ web: [{ repository: "library/nginx", tag: ["1"] }] });
    w.agent = await startAgent(args("--token", TOKEN), deps({ clock, random: () => 0.5 }));
    await waitFor(
      lastSyncWith((s) => s.latestStateDigest === first.satelliteDigest && s.cachedImages.length === 1),
      "a heartbeat after the first pass",
    );
    const stateReads = (tag: string) =>
      w.registry.requests.filter((r) => r.path === `/v2/${repository}/manifests/${tag}`).length;

    // Ground Control names a new URL: the agent moves there, saves it, and reads the state there.
    answer = { satelliteStateUrl: movedUrl, satelliteStateDigest: first.satelliteDigest };
    await clock.advance(10_000);
    await waitFor(
      () => stateReads("moved") > 0 && w.agent!.status().config.state_config.state === movedUrl,
      "the state read from the new URL",
    );
    await waitFor(() => w.agent!.status().jobs["state-replication"].running === false, "that pass finished");
    const readsAfterMove = stateReads("moved");
    expect(w.captured.text()).toContain("Ground Control serves this satellite's state at a new URL; following it");

    // Its answers vouch for the applied state: the 60 s pass makes no state request.
    const passes = w.agent.status().passes;
    await clock.advance(10_000);
    await clock.advance(50_000);
    await waitFor(() => w.agent!.status().passes > passes, "the next scheduled pass");
    expect(stateReads("moved")).toBe(readsAfterMove);

    // A new state: the next heartbeat's answer starts a pass at once, long before the 60 s tick.
    // (Runs end on real I/O, so the fake clock moves a second at a time while we wait.)
    seedImage(w.registry, "library/alpine", "3", [Buffer.from("alpine layer")]);
    // (A new group name, so the satellite state's own bytes change, as Ground Control's digest pinning makes them.)
    const second = publishMoved({
      "web-v2": [
        { repository: "library/nginx", tag: ["1"] },
        { repository: "library/alpine", tag: ["3"] },
      ],
    });
    expect(second.satelliteDigest).not.toBe(first.satelliteDigest);
    answer = { satelliteStateUrl: movedUrl, satelliteStateDigest: second.satelliteDigest };
    const scheduledPassAt = w.agent.status().jobs["state-replication"].nextRunAt!;
    const applied = lastSyncWith((s) => s.latestStateDigest === second.satelliteDigest && s.cachedImages.length === 2);
    await waitFor(async () => (await clock.advance(1_000), applied()), "the new state applied after a heartbeat");
    expect(clock.now()).toBeLessThan(scheduledPassAt);
    expect(stateReads("moved")).toBeGreaterThan(readsAfterMove);
  });
});
