// Start-up of both components, the bundle (`npm run build`) against the TypeScript sources through
// tsx, in the same run, alternating, median of --runs (default 5) after one warm-up each:
//   satellite --help; satellite sync --once as a no-op pass over a store that holds the image
//   (docker-registry upstream); satellite serve until /v2/ answers, and its idle RSS; Ground
//   Control until /healthz answers on an existing PGlite data dir and on PostgreSQL, and its idle
//   RSS on each (PGlite runs PostgreSQL compiled to WebAssembly inside the process).
//   npx tsx bench/startup/run.ts [--runs 5]
// Last line: key=value, bundle figures, plus the tsx figures prefixed tsx_.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildImage, freePort, makeBlobDir, pushImage, removeBlobDir, startPostgres } from "@harbor-satellite/testkit";
import { startDockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { environmentLabel, useImageEnvironment } from "../shipped-bundle.js";
import { median, ROOT, timeToExit, timeToReady, type Mode } from "./probes.js";

const run = promisify(execFile);
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const MODES: Mode[] = ["bundle", "source"];
const ADMIN = "bench-startup-admin";

type Figures = Record<string, Record<Mode, number[]>>;
const figures: Figures = {};
const record = (key: string, mode: Mode, value: number) =>
  (figures[key] ??= { bundle: [], source: [] })[mode].push(value);

/** One warm-up per mode, then RUNS rounds alternating bundle and tsx. */
async function measure(fn: (mode: Mode, round: number) => Promise<void>): Promise<void> {
  for (const mode of MODES) await fn(mode, -1);
  for (let round = 0; round < RUNS; round++) for (const mode of MODES) await fn(mode, round);
}

async function main(): Promise<void> {
  await run(process.execPath, ["scripts/build/main.mjs"], { cwd: ROOT });
  useImageEnvironment();
  const work = await mkdtemp(join(tmpdir(), "bench-startup-"));
  const upstream = await startDockerRegistry({ dir: join(work, "upstream") });
  const pg = await startPostgres();
  const blobs = await makeBlobDir();
  try {
    await pushImage(upstream.url, "library/app", "1", await buildImage({ layerSizes: [4 << 20, 1 << 20], dir: blobs }));
    const store = join(work, "store");
    const syncArgs = [
      "sync",
      "--once",
      "--upstream",
      upstream.url,
      "--image",
      "library/app:1",
      "--data-dir",
      store,
      "--log-level",
      "warn",
    ];
    await timeToExit("bundle", "satellite", syncArgs);

    await measure(async (mode, round) => {
      const help = await timeToExit(mode, "satellite", ["--help"]);
      const noop = await timeToExit(mode, "satellite", syncArgs);
      if (round >= 0) {
        record("satellite_help_s", mode, help);
        record("sync_noop_s", mode, noop);
      }
    });

    await measure(async (mode, round) => {
      const port = await freePort();
      const ready = await timeToReady(
        mode,
        "satellite",
        ["serve", "--data-dir", store, "--addr", `127.0.0.1:${port}`],
        `http://127.0.0.1:${port}/v2/`,
      );
      if (round >= 0) {
        record("serve_ready_s", mode, ready.seconds);
        record("serve_idle_rss_mb", mode, ready.idleRssMb);
      }
    });

    const pgliteDir = join(work, "gc-pglite");
    const databaseUrl = await pg.createDatabase("bench_startup");
    for (const [key, env, args] of [
      ["gc_ready_pglite_s", { ADMIN_PASSWORD: ADMIN }, ["--data-dir", pgliteDir]],
      ["gc_ready_postgres_s", { ADMIN_PASSWORD: ADMIN, DATABASE_URL: databaseUrl }, []],
    ] as const) {
      // The first start creates the database; the measured ones open an existing one.
      const port0 = await freePort();
      await timeToReady(
        "bundle",
        "ground-control",
        ["--port", String(port0), "--host", "127.0.0.1", ...args],
        `http://127.0.0.1:${port0}/healthz`,
        env,
        0,
      );
      await measure(async (mode, round) => {
        const port = await freePort();
        const ready = await timeToReady(
          mode,
          "ground-control",
          ["--port", String(port), "--host", "127.0.0.1", ...args],
          `http://127.0.0.1:${port}/healthz`,
          env,
        );
        if (round >= 0) {
          record(key, mode, ready.seconds);
          record(
            key === "gc_ready_pglite_s" ? "gc_idle_rss_pglite_mb" : "gc_idle_rss_postgres_mb",
            mode,
            ready.idleRssMb,
          );
        }
      });
    }
  } finally {
    await removeBlobDir(blobs);
    await upstream.stop();
    await pg.stop();
    await rm(work, { recursive: true, force: true });
  }
  report();
}

function report(): void {
  const fmt = (v: number, key: string) => (key.endsWith("_mb") ? v.toFixed(0) : v.toFixed(3));
  process.stdout.write(`median of ${RUNS} runs each (bundle vs tsx, alternating)\n`);
  process.stdout.write(
    `${"figure".padEnd(22)}${"bundle".padStart(10)}${"tsx".padStart(10)}${"tsx/bundle".padStart(12)}   bundle min–max\n`,
  );
  const last: string[] = [];
  const tsx: string[] = [];
  for (const [key, byMode] of Object.entries(figures)) {
    const b = median(byMode.bundle);
    const s = median(byMode.source);
    process.stdout.write(
      `${key.padEnd(22)}${fmt(b, key).padStart(10)}${fmt(s, key).padStart(10)}${(s / b).toFixed(2).padStart(12)}   ${fmt(Math.min(...byMode.bundle), key)}–${fmt(Math.max(...byMode.bundle), key)}\n`,
    );
    last.push(`${key}=${fmt(b, key)}`);
    tsx.push(`tsx_${key}=${fmt(s, key)}`);
  }
  process.stdout.write(`${[...environmentLabel(), ...last, ...tsx].join(" ")}\n`);
}

await main();
