// Starts Ground Control in-process for tests: embedded database in a temp folder, port 0.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@harbor-satellite/telemetry";
import { startGroundControl, type GroundControl } from "./app.js";
import { parseConfig, type GatewayConfig } from "./config.js";

export const TEST_ADMIN_PASSWORD = "test-admin-password";

export async function startTestGroundControl(overrides: Partial<GatewayConfig> = {}, env: NodeJS.ProcessEnv = {}): Promise<GroundControl & { url: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), "hs-gc-"));
  const parsed = parseConfig(["--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], { ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, ...env });
  if (parsed === "help") throw new Error("unreachable");
  const gc = await startGroundControl({ ...parsed, ...overrides }, createLogger({ name: "gc-test", level: "silent" }));
  return {
    ...gc,
    url: `http://127.0.0.1:${gc.port}`,
    async close() {
      await gc.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
