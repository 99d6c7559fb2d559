// Starts Ground Control in-process for tests (embedded database in a temp folder, port 0), or
// only the gateway's rpc serving (every protocol on one loopback port) around given routes.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { migratedTemplate } from "@harbor-satellite/db";
import { createLogger, type Logger } from "@harbor-satellite/telemetry";
import { startGroundControl, type GroundControl } from "./app.js";
import { parseConfig, type GatewayConfig } from "./config.js";
import type { HttpHandler } from "./http-types.js";
import { createRpcHandlers, type RpcHandlerOptions } from "./rpc-handlers.js";
import { listen, type Listener } from "./transport/listener.js";

export const TEST_ADMIN_PASSWORD = "test-admin-password";
/** scrypt at N = 2^10 for the admin password and robot secrets these tests store: the production cost (2^15) is a third of a second per hash on a busy 2-core machine. */
export const TEST_SECRET_HASH = { ln: 10, r: 8, p: 1 };

export async function startTestGroundControl(
  overrides: Partial<GatewayConfig> = {},
  env: NodeJS.ProcessEnv = {},
): Promise<GroundControl & { url: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), "hs-gc-"));
  const parsed = parseConfig(["--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    ...env,
  });
  if (parsed === "help") throw new Error("unreachable");
  // Its new embedded database starts from the run's migrated cluster rather than running initdb.
  const gc = await startGroundControl(
    { ...parsed, secretHash: TEST_SECRET_HASH, ...overrides },
    createLogger({ name: "gc-test", level: "silent" }),
    { databaseTemplate: await migratedTemplate() },
  );
  return {
    ...gc,
    url: `http://127.0.0.1:${gc.port}`,
    async close() {
      await gc.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestRpcServer {
  listener: Listener;
  url: string;
}

/** The gateway's rpc handlers around `routes` on a loopback port; anything else is 404 unless `fallback` says otherwise. */
export async function listenRpc(options: {
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  logger?: Logger;
  fallback?: HttpHandler;
  /** False: Connect's handlers serve every rpc (rpc-handlers.ts). */
  leanUnary?: boolean;
  binaryDecoders?: RpcHandlerOptions["binaryDecoders"];
}): Promise<TestRpcServer> {
  const { handler, rpcStreams } = createRpcHandlers({
    routes: options.routes,
    binaryDecoders: options.binaryDecoders,
    interceptors: options.interceptors,
    verifyPeer: () => ({ kind: "none" }),
    fallback:
      options.fallback ??
      ((_req, res) => {
        res.writeHead(404);
        res.end();
      }),
    logger: options.logger ?? createLogger({ name: "rpc-test", level: "silent" }),
    leanUnary: options.leanUnary,
  });
  const listener = await listen({ host: "127.0.0.1", port: 0, handler, rpcStreams });
  return { listener, url: `http://127.0.0.1:${listener.port}` };
}
