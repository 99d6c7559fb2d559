// Start-up failures an operator causes, against the real `ground-control` process: each ends
// with one plain line on stderr saying what to do, a non-zero exit, and no stack trace.
import { createServer, type Server } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@harbor-satellite/testkit";
import { startProcess } from "./processes.js";

async function exitOf(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const p = startProcess("ground-control", args, { LOG_LEVEL: "warn", HARBOR_URL: "", ...env });
  const code = await new Promise<number | null>((resolve) => p.proc.once("exit", resolve));
  return { code, output: p.output() };
}

describe("ground-control start-up failures", () => {
  let work: string;
  let holder: Server;
  let takenPort: number;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "gc-startup-"));
    takenPort = await freePort();
    holder = createServer();
    await new Promise<void>((r) => holder.listen(takenPort, "127.0.0.1", r));
  });
  afterAll(async () => {
    holder.close();
    await rm(work, { recursive: true, force: true });
  });

  const cases: [string, () => Promise<{ args: string[]; env: NodeJS.ProcessEnv }>, RegExp, number][] = [
    [
      "a port in use",
      async () => ({
        args: ["--host", "127.0.0.1", "--port", String(takenPort), "--data-dir", join(work, "a")],
        env: { ADMIN_PASSWORD: "long-enough-password" },
      }),
      /^ground-control: cannot listen on 127\.0\.0\.1:\d+: the port is in use/m,
      1,
    ],
    [
      "a data dir that is a file",
      async () => {
        await writeFile(join(work, "file"), "");
        return {
          args: ["--port", String(await freePort()), "--data-dir", join(work, "file")],
          env: { ADMIN_PASSWORD: "long-enough-password" },
        };
      },
      /^ground-control: .*file is not a folder: --data-dir must name a folder/m,
      2,
    ],
    [
      "a short admin password",
      async () => ({
        args: ["--port", String(await freePort()), "--data-dir", join(work, "b")],
        env: { ADMIN_PASSWORD: "short" },
      }),
      /^ground-control: ADMIN_PASSWORD must be at least 8 characters$/m,
      2,
    ],
    // Nothing listens on a fresh free port: connection refused.
    [
      "an unreachable PostgreSQL",
      async () => ({
        args: ["--port", String(await freePort())],
        env: {
          ADMIN_PASSWORD: "long-enough-password",
          DATABASE_URL: `postgres://u:p@127.0.0.1:${await freePort()}/gc`,
        },
      }),
      /^ground-control: cannot reach PostgreSQL at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/m,
      1,
    ],
  ];

  for (const [what, setup, line, exitCode] of cases) {
    it(`${what}: one line saying what to do, exit ${exitCode}, no stack`, async () => {
      const { args, env } = await setup();
      const { code, output } = await exitOf(args, env);
      expect(output).toMatch(line);
      expect(code).toBe(exitCode);
      expect(output).not.toMatch(/\n\s+at |"stack"/);
    });
  }
});
