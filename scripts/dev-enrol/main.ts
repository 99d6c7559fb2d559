// The compose dev profile's one-shot enrolment, so `docker compose --profile dev up` needs no
// human: waits for Ground Control, logs in as admin, makes a group holding the dev Harbor's seed
// image and a satellite in it (both kept if they exist), issues a single-use ZTR token and writes
// it, mode 0600, where the satellite's --token-file reads it. DEVELOPMENT AID.
//   node --import tsx scripts/dev-enrol/main.ts --ground-control-url URL --token-file FILE [--satellite NAME]
import { Code, ConnectError } from "@connectrpc/connect";
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { adminClients, type AdminClients } from "@harbor-satellite/testkit/ground-control-admin";
import { eventually } from "@harbor-satellite/testkit/processes";
import { SEED_IMAGE } from "../dev-harbor/dev-harbor.js";

export interface DevEnrolOptions {
  groundControlUrl: string;
  tokenFile: string;
  satellite: string;
  adminPassword: string;
}

export function parseDevEnrolArgs(argv: string[], env: NodeJS.ProcessEnv): DevEnrolOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      "ground-control-url": { type: "string" },
      "token-file": { type: "string" },
      satellite: { type: "string" },
    },
    strict: true,
  });
  const groundControlUrl = values["ground-control-url"];
  const tokenFile = values["token-file"];
  if (!groundControlUrl || !/^https?:\/\//.test(groundControlUrl))
    throw new Error("--ground-control-url http(s)://… is required");
  if (!tokenFile) throw new Error("--token-file FILE is required");
  if (!env.ADMIN_PASSWORD) throw new Error("ADMIN_PASSWORD is required");
  return { groundControlUrl, tokenFile, satellite: values.satellite ?? "edge-dev", adminPassword: env.ADMIN_PASSWORD };
}

const existsIsFine = (error: unknown) => {
  if (!(error instanceof ConnectError) || error.code !== Code.AlreadyExists) throw error;
};

async function enrol(options: DevEnrolOptions): Promise<void> {
  const admin: AdminClients = await eventually(
    () => adminClients(options.groundControlUrl, options.adminPassword),
    120_000,
    "Ground Control answering Login",
  );
  await admin.fleet
    .createGroup({ group: "dev", artifacts: [{ repository: SEED_IMAGE.repository, tags: [SEED_IMAGE.tag] }] })
    .catch(existsIsFine);
  await admin.fleet
    .createSatellite({ satellite: options.satellite, region: "dev", groups: ["dev"] })
    .catch(existsIsFine);
  const { token } = await admin.identity.issueZtrToken({ satellite: options.satellite });
  await writeFile(options.tokenFile, `${token}\n`, { mode: 0o600 });
  process.stdout.write(
    `dev-enrol: satellite ${options.satellite} in group dev (${SEED_IMAGE.repository}:${SEED_IMAGE.tag}); token written to ${options.tokenFile}\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await enrol(parseDevEnrolArgs(process.argv.slice(2), process.env));
  } catch (error) {
    process.stderr.write(`dev-enrol: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
