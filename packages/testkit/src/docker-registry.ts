// A real CNCF distribution registry (Debian's `docker-registry`, distribution 2.8.2) for tests:
// filesystem storage, deletes enabled, plain HTTP on a free loopback port. It stands in for the
// registry behind Harbor (see harbor-emulator/) and for any upstream a satellite copies from.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { freePort } from "./free-port.js";

export const DOCKER_REGISTRY_BIN = process.env.DOCKER_REGISTRY_BIN ?? "/usr/bin/docker-registry";

export interface DockerRegistryOptions {
  /** Storage root to use (and keep) instead of a fresh temp dir, e.g. to restart on the same data. */
  dir?: string;
  /** Serve read-only (`storage.maintenance.readonly`): pulls work, pushes and deletes are refused. */
  readOnly?: boolean;
  /** Listen on this port (e.g. to bring a stopped registry back at the same URL); default a free one. */
  port?: number;
  /** Basic auth (`auth: htpasswd`, the bcrypt file the registry requires): every request needs these. */
  htpasswd?: { username: string; password: string };
  /** Serve HTTPS with this PEM certificate and key (clients must trust `cert`); default plain HTTP. */
  tls?: { cert: string; key: string };
}

export interface DockerRegistry {
  /** `http://127.0.0.1:<port>` (`https://` with `tls`) */
  url: string;
  /** `127.0.0.1:<port>`, as image references spell it. */
  host: string;
  port: number;
  /** The filesystem storage root. */
  dataDir: string;
  /** Stops the process and removes the temp dirs (the data dir only when the registry made it). */
  stop(): Promise<void>;
}

/** True when the docker-registry binary is installed (Debian package `docker-registry`). */
export function dockerRegistryAvailable(): boolean {
  return existsSync(DOCKER_REGISTRY_BIN);
}

export async function startDockerRegistry(options: DockerRegistryOptions = {}): Promise<DockerRegistry> {
  const workDir = await mkdtemp(join(tmpdir(), "hs-registry-"));
  const dataDir = options.dir ?? join(workDir, "data");
  const port = options.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  // JSON is YAML, so the config needs no YAML writer.
  const config = {
    version: 0.1,
    log: { level: "warn", accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: dataDir },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false }, readonly: { enabled: options.readOnly === true } },
    },
    http: {
      addr: host,
      secret: randomBytes(16).toString("hex"),
      headers: { "X-Content-Type-Options": ["nosniff"] },
      ...(options.tls && { tls: { certificate: join(workDir, "tls.crt"), key: join(workDir, "tls.key") } }),
    },
    ...(options.htpasswd && { auth: { htpasswd: { realm: "test-registry", path: join(workDir, "htpasswd") } } }),
  };
  if (options.htpasswd) {
    // Cost 4: the registry checks the hash on every request.
    const hash = bcrypt.hashSync(options.htpasswd.password, 4);
    await writeFile(join(workDir, "htpasswd"), `${options.htpasswd.username}:${hash}\n`);
  }
  if (options.tls) {
    await writeFile(join(workDir, "tls.crt"), options.tls.cert);
    await writeFile(join(workDir, "tls.key"), options.tls.key, { mode: 0o600 });
  }
  const configPath = join(workDir, "config.yml");
  await writeFile(configPath, JSON.stringify(config, null, 2));

  const proc = spawn(DOCKER_REGISTRY_BIN, ["serve", configPath], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));

  const cleanUp = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      await exited;
    }
    await rm(workDir, { recursive: true, force: true });
  };

  const url = `${options.tls ? "https" : "http"}://${host}`;
  try {
    await waitReady(
      url,
      options.tls?.cert,
      () => proc.exitCode !== null || proc.signalCode !== null,
      () => stderr,
    );
  } catch (err) {
    await cleanUp();
    throw err;
  }
  return { url, host, port, dataDir, stop: cleanUp };
}

/** Polls `GET /v2/` until the registry answers (200, or 401 with auth), failing early if the process died. */
async function waitReady(
  url: string,
  ca: string | undefined,
  exited: () => boolean,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`docker-registry exited during start: ${stderr()}`);
    try {
      const status = await statusOf(`${url}/v2/`, ca);
      // 401: up, with htpasswd auth.
      if (status === 200 || status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`docker-registry did not answer on ${url}/v2/ within 30s: ${stderr()}`);
}

/** The status of a GET (over HTTPS trusting `ca`, which fetch cannot be told to). */
function statusOf(url: string, ca: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith("https:") ? httpsGet : httpGet;
    const req = get(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
  });
}
