// The fuzzer's loop: seeded, time-bounded, a few workers in parallel, each case judged on its
// own (verdict.ts). Used by fuzz.test.ts against an in-process Ground Control and by the e2e
// tests against the real process. Replay a run with FUZZ_SEED=<seed>; a finding names its case
// index and carries the input in full.
import { randomInt } from "node:crypto";
import { generateCase, type CaseContext, type FuzzCase, type Transport } from "./cases.js";
import { h2Exchange } from "./h2-exchange.js";
import { h2RawExchange } from "./h2-raw-exchange.js";
import { http1Exchange, type Target } from "./http1-exchange.js";
import { judge } from "./verdict.js";

export interface FuzzOptions extends CaseContext {
  target: Target;
  seed: number;
  /** Stop starting cases after this long. */
  budgetMs: number;
  concurrency?: number;
  /** A case with no answer within this is a hang. Above the server's request timeout. */
  boundMs: number;
  /** Whether the server is still there (a real process may exit); checked after each case. */
  alive?: () => boolean;
}

export interface Finding {
  detail: string;
  input: FuzzCase;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  byTransport: Record<Transport, number>;
  /** Answers seen, by status ("h2 reset", "closed", …), for the log. */
  answers: Record<string, number>;
  internal: Finding[];
  broken: Finding[];
  /** Findings counted by kind (all of them; `internal` and `broken` keep a few examples of each). */
  kinds: Record<string, number>;
  /** Set when the server went away during the run. */
  died?: string;
}

const KEEP_FINDINGS = 25;
const EXAMPLES_PER_KIND = 3;

/** A finding's kind: its detail without the parts that vary (numbers, quoted text, bodies). */
function signature(detail: string): string {
  return (
    detail.split(":")[0].replace(/\d+ (bytes|of)/g, "N $1") +
    (detail
      .match(/grpc-message: ([^\n]{0,60})|grpc-status \d+: ([^\n]{0,60})/)
      ?.slice(1)
      .join("") ?? "")
  );
}

/** FUZZ_SEED when set (to replay a run), else a fresh one. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.FUZZ_SEED;
  if (given !== undefined && given !== "") {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new Error(`FUZZ_SEED must be an integer in [0, 2^32), got ${JSON.stringify(given)}`);
    return seed;
  }
  return randomInt(0, 0xffffffff);
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const report: FuzzReport = {
    seed: options.seed,
    cases: 0,
    byTransport: { http1: 0, h2c: 0, "h2-raw": 0 },
    answers: {},
    internal: [],
    broken: [],
    kinds: {},
  };
  const deadline = Date.now() + options.budgetMs;
  let next = 0;
  const worker = async () => {
    while (Date.now() < deadline && !report.died) {
      const input = generateCase(options.seed, next++, options);
      const outcome = await (
        input.transport === "http1" ? http1Exchange : input.transport === "h2c" ? h2Exchange : h2RawExchange
      )(options.target, input, options.boundMs);
      report.cases++;
      report.byTransport[input.transport]++;
      const answer =
        outcome.kind === "response"
          ? `${input.transport === "http1" ? "HTTP/1.1" : "h2"} ${outcome.status}`
          : `${input.transport} ${outcome.kind}`;
      report.answers[answer] = (report.answers[answer] ?? 0) + 1;
      const verdict = judge(input, outcome);
      if (!verdict.ok) {
        // Every finding is counted; a few inputs of each kind are kept.
        const kind = signature(verdict.detail);
        const seen = (report.kinds[kind] = (report.kinds[kind] ?? 0) + 1);
        const list = verdict.class === "internal" ? report.internal : report.broken;
        if (seen <= EXAMPLES_PER_KIND && list.length < KEEP_FINDINGS) list.push({ detail: verdict.detail, input });
      }
      if (options.alive && !options.alive()) report.died = `the server went away after case ${input.index}`;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return report;
}

/** A finding as text: the case index (replay: FUZZ_SEED=<seed>), what went wrong, and the input. */
export function describeFinding(seed: number, f: Finding): string {
  const { input } = f;
  const body =
    input.body.length > 512
      ? `${input.body.subarray(0, 512).toString("base64")}… (${input.body.length} bytes)`
      : input.body.toString("base64");
  const headers = input.headers.map(([n, v]) => [n, v.length > 200 ? `${v.slice(0, 200)}… (${v.length} chars)` : v]);
  const raw = input.raw ? { raw: JSON.stringify(input.raw.subarray(0, 400).toString("latin1")) } : {};
  return `seed ${seed} case ${input.index}: ${f.detail}\n  ${JSON.stringify({ transport: input.transport, method: input.method, path: input.path.slice(0, 300), headers, framing: input.framing, omit: input.omit, bodyBase64: body, ...raw })}`;
}

export function summarize(report: FuzzReport): string {
  const answers = Object.entries(report.answers)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
  const kinds = Object.entries(report.kinds).map(([k, v]) => `\n  ${v} × ${k}`);
  return `fuzz seed ${report.seed}: ${report.cases} cases (${JSON.stringify(report.byTransport)})${report.died ? `; ${report.died}` : ""}\n  answers: ${answers}\n  findings:${kinds.join("") || " none"}`;
}
