// `npm run dev:harbor` options, parsed once (the compose check resolves the dev profile's
// command against this same parser).
import { parseArgs } from "node:util";
import type { DevHarborOptions } from "./dev-harbor.js";

export const DEV_HARBOR_HELP = `Usage: npm run dev:harbor -- [--host 127.0.0.1] [--port 8090] [--upstream URL] [--data-dir DIR] [--no-seed]

DEVELOPMENT AID, not Harbor: the Harbor API emulator the tests use (projects, robot accounts and
their permissions, from Harbor's swagger; everything in memory) in front of a registry, seeded
with library/hello:1.0. Point Ground Control at it with HARBOR_URL and HARBOR_USERNAME/PASSWORD
(HARBOR_USERNAME/HARBOR_PASSWORD here too; default admin / Harbor12345).

  --host HOST      listen address (default 127.0.0.1)
  --port PORT      listen port (default 8090)
  --upstream URL   the registry holding the images (default: a 'satellite serve' under --data-dir)
  --data-dir DIR   where that registry keeps them (default ./data/dev-harbor)
  --no-seed        do not push library/hello:1.0`;

export class DevHarborUsageError extends Error {}

export function parseDevHarborArgs(argv: string[], env: NodeJS.ProcessEnv): DevHarborOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        upstream: { type: "string" },
        "data-dir": { type: "string" },
        "no-seed": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new DevHarborUsageError((error as Error).message);
  }
  if (values.help) return "help";
  const port = Number(values.port ?? "8090");
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new DevHarborUsageError(`--port must be 0–65535, got ${values.port}`);
  if (values.upstream !== undefined && !/^https?:\/\/[^/]+/.test(values.upstream))
    throw new DevHarborUsageError(`--upstream must be an http(s) URL, got ${values.upstream}`);
  return {
    host: values.host ?? "127.0.0.1",
    port,
    upstreamUrl: values.upstream?.replace(/\/+$/, ""),
    dataDir: values["data-dir"] ?? "./data/dev-harbor",
    admin: { username: env.HARBOR_USERNAME || "admin", password: env.HARBOR_PASSWORD || "Harbor12345" },
    seed: !values["no-seed"],
  };
}
