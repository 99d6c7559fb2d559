// docker/compose.yaml cannot be run here (no Docker engine), so this checks what `up` would do:
// for each profile, every service built from our Dockerfile gets its command line and its
// environment (the image's ENV under the service's) resolved by the real CLI parsers, which must
// accept them, and the dev profile must form a loop: Ground Control's HARBOR_URL is the emulator
// service on the port it listens on, the satellite reaches the ground-control service, and the
// token file the one-shot writes is on a volume the satellite reads it from.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "@harbor-satellite/gateway";
import { parseAgentArgs } from "@harbor-satellite/satellite/agent";
import { parseServeArgs } from "@harbor-satellite/satellite/testing";
import { parseDevHarborArgs } from "../../scripts/dev-harbor/args.js";
import { parseDevEnrolArgs } from "../../scripts/dev-enrol/main.js";
import { imageEnv, loadCompose, type ComposeService } from "./compose-model.js";
import { REPO_ROOT } from "../e2e/processes.js";

const COMPOSE = join(REPO_ROOT, "docker/compose.yaml");
const DOCKERFILE = join(REPO_ROOT, "docker/Dockerfile");

const RUNS = [
  {
    profiles: [],
    env: { ADMIN_PASSWORD: "change-me-please", HARBOR_URL: "https://harbor.example.com", HARBOR_PASSWORD: "secret" },
  },
  {
    profiles: ["edge"],
    env: {
      ADMIN_PASSWORD: "change-me-please",
      HARBOR_URL: "https://harbor.example.com",
      HARBOR_PASSWORD: "secret",
      GROUND_CONTROL_URL: "https://gc.example.com",
    },
  },
  { profiles: ["dev"], env: { ADMIN_PASSWORD: "change-me-please" } },
];

/** What one service runs, resolved by the parser its entry point uses. */
function resolveService(svc: ComposeService): { kind: string; parsed: unknown } {
  const argv = svc.command ?? [];
  if (svc.build?.target === "dev") {
    const [node, importFlag, loader, script, ...args] = argv;
    expect([node, importFlag, loader], `${svc.name} runs a script through tsx`).toEqual(["node", "--import", "tsx"]);
    expect(existsSync(join(REPO_ROOT, script)), `${svc.name}: ${script} exists`).toBe(true);
    if (script === "scripts/dev-harbor/main.ts")
      return { kind: "dev-harbor", parsed: parseDevHarborArgs(args, svc.environment) };
    if (script === "scripts/dev-enrol/main.ts")
      return { kind: "dev-enrol", parsed: parseDevEnrolArgs(args, svc.environment) };
    throw new Error(`${svc.name}: no parser known for ${script}`);
  }
  const component = svc.build?.args?.COMPONENT ?? "ground-control";
  const env = { ...imageEnv(DOCKERFILE, { COMPONENT: component }), ...svc.environment };
  if (component === "ground-control") return { kind: "ground-control", parsed: parseConfig(argv, env) };
  if (argv[0] === "serve") return { kind: "serve", parsed: parseServeArgs(argv.slice(1)) };
  return { kind: "agent", parsed: parseAgentArgs(argv, env, containerFiles(svc)) };
}

/** Files as the service's container sees them: those its volumes and secrets provide hold a token. */
function containerFiles(svc: ComposeService) {
  return {
    readFile(path: string): string {
      if (!providerOf(svc, path))
        throw Object.assign(new Error(`${svc.name}: nothing mounts ${path}`), { code: "ENOENT" });
      return "0123456789abcdef0123456789abcdef\n";
    },
  };
}

/** The mount point a named volume or secret gives `file`'s folder in `svc`. */
function providerOf(svc: ComposeService, file: string): string | undefined {
  for (const v of svc.volumes) {
    const [source, target] = v.split(":");
    if (file.startsWith(`${target}/`)) return `volume:${source}`;
  }
  if (file.startsWith("/run/secrets/")) return `secret:${file.slice("/run/secrets/".length)}`;
  return undefined;
}

describe("docker/compose.yaml", () => {
  for (const run of RUNS) {
    const label = run.profiles.length ? `--profile ${run.profiles.join(",")}` : "no profile";
    it(`${label}: every service's command and environment are accepted by the real CLI parsers`, () => {
      const services = loadCompose(COMPOSE, run.env, run.profiles);
      const names = new Set(services.map((s) => s.name));
      for (const svc of services) {
        for (const dep of svc.dependsOn)
          expect(names.has(dep), `${svc.name} depends on ${dep}, which this run starts`).toBe(true);
        if (!svc.build) continue;
        const { parsed } = resolveService(svc);
        expect(parsed, `${svc.name} starts its component, not its help`).not.toBe("help");
      }
    });
  }

  it("--profile dev forms a complete loop: Harbor emulator → Ground Control → token → satellite", () => {
    const services = loadCompose(COMPOSE, RUNS[2].env, ["dev"]);
    const byName = new Map(services.map((s) => [s.name, s]));
    const resolved = new Map(services.filter((s) => s.build).map((s) => [s.name, resolveService(s)]));

    const gc = resolved.get("ground-control")!.parsed as Exclude<ReturnType<typeof parseConfig>, "help">;
    const harbor = resolved.get("harbor-dev")!.parsed as Exclude<ReturnType<typeof parseDevHarborArgs>, "help">;
    const harborUrl = new URL(gc.harbor.url!);
    expect(harborUrl.hostname, "HARBOR_URL names the emulator service").toBe("harbor-dev");
    expect(Number(harborUrl.port), "on the port it listens on").toBe(harbor.port);
    expect(harbor.host, "listening beyond loopback inside its container").toBe("0.0.0.0");
    expect(harbor.upstreamUrl && new URL(harbor.upstreamUrl).hostname, "images kept in the registry service").toBe(
      "registry",
    );

    const enrol = resolved.get("dev-enrol")!.parsed as ReturnType<typeof parseDevEnrolArgs>;
    const agent = resolved.get("satellite-dev")!.parsed as ReturnType<typeof parseAgentArgs>;
    for (const url of [enrol.groundControlUrl, agent.groundControlUrl!]) {
      expect(new URL(url).hostname).toBe("ground-control");
      expect(Number(new URL(url).port)).toBe(gc.port);
    }
    const agentArgv = byName.get("satellite-dev")!.command!;
    const tokenFile = agentArgv[agentArgv.indexOf("--token-file") + 1];
    expect(tokenFile, "the satellite reads the file the one-shot writes").toBe(enrol.tokenFile);
    expect(providerOf(byName.get("satellite-dev")!, tokenFile)).toBe(
      providerOf(byName.get("dev-enrol")!, enrol.tokenFile),
    );
    expect(providerOf(byName.get("satellite-dev")!, tokenFile)).toMatch(/^volume:/);
    expect(byName.get("satellite-dev")!.dependsOn).toContain("dev-enrol");
  });

  it("--profile edge enrols over TLS with a token from a secret file", () => {
    const services = loadCompose(COMPOSE, RUNS[1].env, ["edge"]);
    const satellite = services.find((s) => s.name === "satellite")!;
    const agent = resolveService(satellite).parsed as ReturnType<typeof parseAgentArgs>;
    expect(new URL(agent.groundControlUrl!).protocol).toBe("https:");
    const argv = satellite.command!;
    expect(providerOf(satellite, argv[argv.indexOf("--token-file") + 1])).toBe("secret:ztr-token");
    expect(argv).not.toContain("--token");
  });

  it("refuses to start without ADMIN_PASSWORD, as compose would", () => {
    expect(() => loadCompose(COMPOSE, {}, [])).toThrow(/ADMIN_PASSWORD is required/);
  });
});
