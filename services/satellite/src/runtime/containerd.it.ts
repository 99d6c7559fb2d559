// A real containerd (its own --root/--state/--address in a temp dir) started with the config.toml
// our writer produced: containerd accepts it and places config_path where CRI reads it, and
// `ctr images pull --hosts-dir` of a docker.io reference resolves through the hosts.toml we wrote
// to a local registry (there is no route to docker.io here, so success means the mirror served it).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildImage, pushImage, removeBlobDir, type SyntheticImage } from "@harbor-satellite/testkit";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configureContainerd } from "./containerd.js";

const run = promisify(execFile);
const CONTAINERD_BIN = process.env.CONTAINERD_BIN ?? "/usr/bin/containerd";
const CTR_BIN = process.env.CTR_BIN ?? "/usr/bin/ctr";

let dir: string;
let registry: DockerRegistry;
let image: SyntheticImage;
let blobDir: string;
let containerd: ChildProcess | undefined;
let socket: string;

async function ctr(...args: string[]): Promise<string> {
  const { stdout } = await run(CTR_BIN, ["--address", socket, "--namespace", "hs-test", ...args], { timeout: 120_000 });
  return stdout;
}

async function waitForContainerd(): Promise<void> {
  let lastError: unknown;
  for (let i = 0; i < 150; i++) {
    if (containerd?.exitCode !== null) throw new Error(`containerd exited with ${containerd?.exitCode}`);
    try {
      await ctr("version");
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`containerd did not answer: ${String(lastError)}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-ctrd-"));
  socket = join(dir, "containerd.sock");
  registry = await startDockerRegistry();
  blobDir = join(dir, "blobs");
  image = await buildImage({ layerSizes: [64 * 1024, 4096], format: "docker", dir: blobDir });
  await pushImage(registry.url, "library/hello", "v1", image);
});

afterAll(async () => {
  if (containerd && containerd.exitCode === null) {
    const exited = new Promise((resolve) => containerd!.once("exit", resolve));
    containerd.kill("SIGTERM");
    await exited;
  }
  await registry?.stop();
  if (blobDir) await removeBlobDir(blobDir);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("containerd mirror (real containerd)", () => {
  it("pulls docker.io/library/hello:v1 from the local registry through the hosts.toml we wrote", async () => {
    const configPath = join(dir, "config.toml");
    const certsDir = join(dir, "certs.d");
    // An operator's existing config, kept apart from this machine's paths; our writer adds to it.
    await writeFile(
      configPath,
      [
        "version = 2",
        `[plugins."io.containerd.internal.v1.opt"]`,
        `  path = "${join(dir, "opt")}"`,
        `[plugins."io.containerd.grpc.v1.cri".cni]`,
        `  conf_dir = "${join(dir, "cni", "net.d")}"`,
        `  bin_dir = "${join(dir, "cni", "bin")}"`,
        "",
      ].join("\n"),
    );
    const result = await configureContainerd({
      registries: ["docker.io"],
      mirror: registry.host,
      configPath,
      certsDir,
    });
    expect(result.restartRequired).toBe(true);

    const { stdout: dump } = await run(CONTAINERD_BIN, ["--config", configPath, "config", "dump"]);
    const registrySection = dump.slice(dump.indexOf(`[plugins."io.containerd.grpc.v1.cri".registry]`));
    expect(registrySection).toMatch(
      new RegExp(`^\\s*config_path = "${certsDir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}"`, "m"),
    );

    containerd = spawn(
      CONTAINERD_BIN,
      [
        "--config",
        configPath,
        "--root",
        join(dir, "root"),
        "--state",
        join(dir, "state"),
        "--address",
        socket,
        "--log-level",
        "warn",
      ],
      { stdio: "ignore" },
    );
    await waitForContainerd();

    await ctr("images", "pull", "--hosts-dir", certsDir, "--snapshotter", "native", "docker.io/library/hello:v1");
    const listed = await ctr("images", "ls");
    const line = listed.split("\n").find((l) => l.startsWith("docker.io/library/hello:v1"));
    expect(line).toContain(image.manifestDigest);
  });
});
