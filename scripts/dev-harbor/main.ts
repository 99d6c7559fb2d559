// `npm run dev:harbor`: starts the development Harbor (dev-harbor.ts) until Ctrl-C or SIGTERM.
import { DEV_HARBOR_HELP, DevHarborUsageError, parseDevHarborArgs } from "./args.js";
import { SEED_IMAGE, startDevHarbor } from "./dev-harbor.js";

const say = (line: string) => process.stdout.write(`dev-harbor: ${line}\n`);

async function main(): Promise<number> {
  let options;
  try {
    options = parseDevHarborArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof DevHarborUsageError)) throw error;
    process.stderr.write(`dev-harbor: ${error.message}\n\n${DEV_HARBOR_HELP}\n`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(`${DEV_HARBOR_HELP}\n`);
    return 0;
  }
  const dev = await startDevHarbor(options);
  say(
    `DEVELOPMENT AID, not Harbor: emulator on ${dev.harbor.url} (listening on ${options.host}:${dev.harbor.port}), images in ${dev.upstreamUrl}`,
  );
  if (options.seed) say(`seeded ${SEED_IMAGE.repository}:${SEED_IMAGE.tag}`);
  say(
    `for Ground Control: HARBOR_URL=${dev.harbor.url} HARBOR_USERNAME=${options.admin.username} HARBOR_PASSWORD=<the admin password>`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await dev.stop();
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`dev-harbor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
