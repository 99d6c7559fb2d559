// Node CPU of the authenticator's once-a-minute re-check of a remembered robot credential, per
// robot: one query each (the registry's robotSecretHashes) vs the gateway's batched re-check
// (auth/hash-recheck.ts over robotSecretHashesOf), both asked by 64 callers at a time as a
// heartbeating fleet would, against PostgreSQL 15 with N robots. Last line:
// `single_us=… batched_us=… robots=…` (medians of --rounds, CPU µs per re-check).
//
//   npx tsx bench/heartbeat/recheck-cost.ts [--robots 5000] [--rounds 3]
import { parseArgs } from "node:util";
import { openDatabase } from "@harbor-satellite/db";
import { robotSecretHashes, robotSecretHashesOf } from "@harbor-satellite/registry";
import { startPostgres } from "@harbor-satellite/testkit";
import { batchedHashRecheck } from "../../services/gateway/src/auth/hash-recheck.js";
import { satelliteName, seedFleet } from "./fleet.js";

const { values: args } = parseArgs({
  options: { robots: { type: "string", default: "5000" }, rounds: { type: "string", default: "3" } },
});
const CALLERS = 64;

/** CPU µs per name of asking `recheck` for every name, CALLERS at a time. */
async function cpuPerRecheck(names: string[], recheck: (name: string) => Promise<string[]>): Promise<number> {
  const started = process.cpuUsage();
  let next = 0;
  const caller = async () => {
    while (next < names.length) if ((await recheck(names[next++])).length === 0) throw new Error("robot not found");
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
  const used = process.cpuUsage(started);
  return (used.user + used.system) / names.length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const pg = await startPostgres();
try {
  const url = await pg.createDatabase("recheck_cost");
  const handle = await openDatabase({ url, maxConnections: 4 });
  try {
    const robots = Number(args.robots);
    await seedFleet(handle.db, robots, "bench-secret-0123456789abcdef");
    const names = Array.from({ length: robots }, (_, i) => `robot$${satelliteName(i)}`);
    const single: number[] = [];
    const batched: number[] = [];
    for (let round = 0; round < Number(args.rounds); round++) {
      single.push(await cpuPerRecheck(names, (name) => robotSecretHashes(handle.db, name)));
      batched.push(
        await cpuPerRecheck(
          names,
          batchedHashRecheck((n) => robotSecretHashesOf(handle.db, n)),
        ),
      );
      process.stdout.write(
        `# round ${round + 1}: single ${single[round].toFixed(1)} µs, batched ${batched[round].toFixed(1)} µs per re-check\n`,
      );
    }
    process.stdout.write(
      `single_us=${median(single).toFixed(1)} batched_us=${median(batched).toFixed(1)} robots=${robots}\n`,
    );
  } finally {
    await handle.close();
  }
} finally {
  await pg.stop();
}
