// A real PostgreSQL 15 server for integration tests: initdb into a temp folder, start on a free
// loopback port with a Unix socket in the same folder, stop and remove it afterwards.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.js";

const run = promisify(execFile);
export const POSTGRES_BIN = process.env.POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PostgresServer {
  /** postgres://… URL for the `postgres` database as the superuser. */
  url: string;
  port: number;
  dataDir: string;
  /** Creates a fresh database and returns its URL, so tests do not share state. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export function postgresAvailable(): boolean {
  return existsSync(join(POSTGRES_BIN, "initdb")) && existsSync(join(POSTGRES_BIN, "postgres"));
}

/**
 * PostgreSQL refuses to run as root, so under root the server runs as the `postgres` system
 * user that Debian's package creates.
 */
function runAsArgs(): { uid?: number; gid?: number; user: string } {
  if (userInfo().uid !== 0) return { user: userInfo().username };
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("running as root needs the 'postgres' system user for PostgreSQL");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid), user: "postgres" };
}

export async function startPostgres(): Promise<PostgresServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "hs-pg-"));
  const { uid, gid, user } = runAsArgs();
  if (uid !== undefined) await run("chown", ["-R", `${uid}:${gid}`, dataDir]);
  const opts = uid !== undefined ? { uid, gid } : {};
  await run(
    join(POSTGRES_BIN, "initdb"),
    ["-D", join(dataDir, "data"), "-U", user, "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"],
    opts,
  );
  const port = await freePort();
  const proc: ChildProcess = spawn(
    join(POSTGRES_BIN, "postgres"),
    [
      "-D",
      join(dataDir, "data"),
      "-p",
      String(port),
      "-k",
      dataDir,
      "-h",
      "127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=200",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
    ],
    { ...opts, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  proc.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const url = `postgres://${user}@127.0.0.1:${port}/postgres`;
  await waitReady(
    port,
    user,
    () => proc.exitCode !== null,
    () => stderr,
  );
  return {
    url,
    port,
    dataDir,
    async createDatabase(name) {
      await run(join(POSTGRES_BIN, "createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", user, name]);
      return `postgres://${user}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGINT"); // fast shutdown
        await new Promise((resolve) => proc.once("exit", resolve));
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function waitReady(port: number, user: string, exited: () => boolean, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`postgres exited during start: ${stderr()}`);
    try {
      await run(join(POSTGRES_BIN, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port), "-U", user]);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`postgres did not become ready on port ${port}: ${stderr()}`);
}
