// Reading a /metrics answer as Prometheus would: `promtool check metrics` (Debian's prometheus
// package; .ci/run installs it) must accept the text, lint included, and then its samples are
// read into name, labels and value for the test's assertions.
import { spawn } from "node:child_process";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  text: string;
  samples: Sample[];
  /** TYPE of each metric family. */
  types: Map<string, string>;
  /** Samples of `name` whose labels include `labels`. */
  find(name: string, labels?: Record<string, string>): Sample[];
  /** Sum of those samples' values (0 when none). */
  sum(name: string, labels?: Record<string, string>): number;
}

/** Runs `promtool check metrics` on the text; rejects with its complaints unless it exits 0 silently. */
export function promtoolCheck(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", (error) =>
      reject(new Error(`promtool could not run (apt-get install prometheus): ${error.message}`)),
    );
    child.on("close", (code) =>
      code === 0 && out.trim() === "" ? resolve() : reject(new Error(`promtool check metrics exited ${code}:\n${out}`)),
    );
    child.stdin.end(text);
  });
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
}

/** Parses text promtool has accepted (exposition format 0.0.4). */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      types.set(name, type);
      continue;
    }
    if (line === "" || line.startsWith("#")) continue;
    const brace = line.indexOf("{");
    const space = line.lastIndexOf(" ");
    const name = brace >= 0 && brace < space ? line.slice(0, brace) : line.slice(0, line.indexOf(" "));
    const labels: Record<string, string> = {};
    if (brace >= 0 && brace < space)
      for (const m of line.slice(brace, line.lastIndexOf("}") + 1).matchAll(LABEL)) labels[m[1]] = unescape(m[2]);
    const raw = line.slice(space + 1);
    samples.push({ name, labels, value: raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw) });
  }
  const find = (name: string, where: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
  return { text, samples, types, find, sum: (name, where) => find(name, where).reduce((n, s) => n + s.value, 0) };
}

/** GETs a /metrics URL, checks it with promtool, and parses it. */
export async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(url, { headers: { accept: "text/plain;version=0.0.4" } });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  if (!res.headers.get("content-type")?.startsWith("text/plain; version=0.0.4"))
    throw new Error(`${url}: content-type ${res.headers.get("content-type")}`);
  const text = await res.text();
  await promtoolCheck(text);
  return parseExposition(text);
}
