// `groundctl` entry point (bin/groundctl.mjs runs `main`): real stdin, stdout, stderr, environment
// and network. Everything else is in run.ts.
import { connectTo } from "./clients.js";
import type { ExitCode } from "./exit-codes.js";
import { run } from "./run.js";

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

export function main(argv: string[]): Promise<ExitCode> {
  return run(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: () => readAll(process.stdin),
    env: process.env,
    now: () => new Date(),
    connect: connectTo,
  });
}
