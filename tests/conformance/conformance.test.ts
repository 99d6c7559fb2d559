// The distribution-spec conformance suite, run in one go against `satellite serve` (a real
// process started from bin/satellite.mjs) and against docker-registry 2.8.2 with the same
// content and the same requests. Per-registry pass counts are printed; known, legitimate
// differences of docker-registry are asserted (known-differences.ts), never hidden. With
// CONFORMANCE_RESULTS=<file>, every check's outcome per registry is also written there as JSON.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServeProcess, type ServeProcess } from "@harbor-satellite/satellite/testing";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeFixtures } from "./fixtures.js";
import { ALLOWED_CHOICES, DOCKER_REGISTRY_GAPS } from "./known-differences.js";
import { allChecks, runChecks, tally, type CheckResult } from "./runner.js";

const checks = allChecks(makeFixtures());

describe("OCI distribution-spec conformance: satellite and docker-registry", () => {
  let satellite: ServeProcess;
  let docker: DockerRegistry;
  let dataDir: string;
  let ours: Map<string, CheckResult>;
  let theirs: Map<string, CheckResult>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "hs-conformance-"));
    [satellite, docker] = await Promise.all([startServeProcess({ dataDir }), startDockerRegistry()]);
    ours = await runChecks({ name: "satellite", url: satellite.url }, checks);
    theirs = await runChecks({ name: "docker-registry", url: docker.url }, checks);
    const a = tally(ours);
    const b = tally(theirs);
    const lines = [
      `conformance satellite: ${a.passed}/${a.total} passed (${a.byCategory})`,
      `conformance docker-registry 2.8.2: ${b.passed}/${b.total} passed (${b.byCategory})`,
      ...[...theirs.values()]
        .filter((r) => !r.passed)
        .map((r) => `  docker-registry fails ${r.id}: ${DOCKER_REGISTRY_GAPS[r.id] ?? r.error}`),
      ...[...ours.values()].filter((r) => !r.passed).map((r) => `  satellite fails ${r.id}: ${r.error}`),
    ];
    console.log(lines.join("\n"));
    // CI keeps the outcome of every check per registry when asked (CONFORMANCE_RESULTS=<file>).
    if (process.env.CONFORMANCE_RESULTS) {
      const record = (results: Map<string, CheckResult>) =>
        Object.fromEntries([...results].map(([id, r]) => [id, r.passed ? "pass" : `fail: ${r.error}`]));
      const body = {
        satellite: { ...a, checks: record(ours) },
        "docker-registry": { ...b, checks: record(theirs), knownGaps: DOCKER_REGISTRY_GAPS },
        allowedChoices: ALLOWED_CHOICES,
      };
      await writeFile(process.env.CONFORMANCE_RESULTS, `${JSON.stringify(body, null, 2)}\n`);
    }
  });

  afterAll(async () => {
    await Promise.all([satellite?.stop(), docker?.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  describe("satellite", () => {
    for (const check of checks) {
      it(`${check.category}: ${check.id} — ${check.title}`, () => {
        const result = ours.get(check.id);
        expect(result?.error).toBeUndefined();
        expect(result?.passed).toBe(true);
      });
    }
  });

  describe("docker-registry 2.8.2", () => {
    for (const check of checks) {
      const gap = DOCKER_REGISTRY_GAPS[check.id];
      it(`${check.category}: ${check.id}${gap ? ` (known gap: ${gap})` : ""}`, () => {
        const result = theirs.get(check.id);
        if (gap)
          expect(result?.passed, `docker-registry now passes ${check.id}; drop it from DOCKER_REGISTRY_GAPS`).toBe(
            false,
          );
        else expect(result?.error).toBeUndefined();
      });
    }
  });

  it("answers the same status codes and digests as docker-registry wherever both pass", () => {
    const compared = checks.filter((c) => ours.get(c.id)?.passed && theirs.get(c.id)?.passed && !ALLOWED_CHOICES[c.id]);
    expect(compared.length).toBeGreaterThan(30);
    for (const check of compared) {
      expect(ours.get(check.id)?.exchanges, check.id).toEqual(theirs.get(check.id)?.exchanges);
    }
  });
});
