import { createServer } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DatabaseLockedError } from "@harbor-satellite/db";
import { AdminPasswordMissingError } from "@harbor-satellite/identity";
import { InvalidArgumentError } from "@harbor-satellite/rpc";
import { describeStartupFailure } from "./startup-failure.js";

const config = { host: "127.0.0.1", port: 8080, dataDir: "./data", databaseUrl: undefined };

describe("describeStartupFailure", () => {
  it("says a taken port in one line, from a real EADDRINUSE", async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
    const port = (holder.address() as { port: number }).port;
    const second = createServer();
    const error = await new Promise<unknown>((resolve) => {
      second.once("error", resolve);
      second.listen(port, "127.0.0.1");
    });
    holder.close();
    expect(describeStartupFailure(error, { ...config, port })).toEqual({
      message: `cannot listen on 127.0.0.1:${port}: the port is in use (another Ground Control?); stop it or choose another with --port`,
      exitCode: 1,
    });
  });

  it("says a data dir that is a file is not a folder, from a real mkdir", async () => {
    const dir = await mkdtemp(join(tmpdir(), "startup-failure-"));
    const file = join(dir, "data");
    await writeFile(file, "");
    const { mkdir } = await import("node:fs/promises");
    const error = await mkdir(join(file, "pglite"), { recursive: true }).catch((e: unknown) => e);
    await rm(dir, { recursive: true });
    expect(describeStartupFailure(error, { ...config, dataDir: file })?.message).toMatch(
      /is not a folder: --data-dir must name a folder/,
    );
  });

  it("finds a driver's wrapped connection refusal and names the database host", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED 10.0.0.9:5432"), {
      code: "ECONNREFUSED",
      syscall: "connect",
    });
    const wrapped = new Error('Failed query: CREATE SCHEMA IF NOT EXISTS "drizzle"', { cause });
    expect(describeStartupFailure(wrapped, { ...config, databaseUrl: "postgres://u:p@10.0.0.9/gc" })).toEqual({
      message: "cannot reach PostgreSQL at 10.0.0.9:5432 (ECONNREFUSED): check DATABASE_URL and that the server runs",
      exitCode: 1,
    });
  });

  it("passes configuration errors through as exit 2 and leaves bugs undescribed", () => {
    expect(
      describeStartupFailure(new InvalidArgumentError("ADMIN_PASSWORD must be at least 8 characters"), config),
    ).toEqual({ message: "ADMIN_PASSWORD must be at least 8 characters", exitCode: 2 });
    expect(describeStartupFailure(new AdminPasswordMissingError(), config)?.exitCode).toBe(2);
    expect(describeStartupFailure(new DatabaseLockedError("/d", "/d/pglite.lock", 42), config)?.exitCode).toBe(1);
    expect(describeStartupFailure(new TypeError("x is not a function"), config)).toBeUndefined();
  });
});
