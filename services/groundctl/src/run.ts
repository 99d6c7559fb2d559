// One groundctl invocation: find the command, parse its options, run it, print its view, and turn
// whatever it threw into one line and an exit code (exit-codes.ts). I/O comes in through `Io`, so
// tests run commands in-process against an in-memory Ground Control.
import { readFile } from "node:fs/promises";
import { flagOpt, GLOBAL_OPTIONS, parseLine, positionalsOf, stringOpt, type OptionSpecs } from "./args.js";
import { clientsOn, type Clients, type Connection } from "./clients.js";
import type { Command, Connector, Context, Family } from "./command.js";
import { FAMILIES } from "./commands/index.js";
import { parseDurationSeconds } from "./duration.js";
import { describeError, ExitCode, exitCodeFor, UsageError } from "./exit-codes.js";
import { commandHelp, familyHelp, mainHelp } from "./help.js";
import { parseOutputFormat, render } from "./output.js";
import { configDir, readSession } from "./session.js";
import { resolveTarget, type Target, type TargetFlags } from "./target.js";

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  env: NodeJS.ProcessEnv;
  now(): Date;
  connect: Connector;
}

/** Every option any command knows, to find the command words before knowing the command. */
const ALL_OPTIONS: OptionSpecs = Object.assign(
  {},
  GLOBAL_OPTIONS,
  ...FAMILIES.flatMap((f) => f.commands.map((c) => c.options ?? {})),
);

interface Resolved {
  family?: Family;
  command?: Command;
  words: number;
}

function resolveCommand(words: string[]): Resolved {
  const [first, second] = words;
  if (first === undefined) return { words: 0 };
  const family = FAMILIES.find((f) => f.name === first);
  if (!family) throw new UsageError(`unknown command ${JSON.stringify(first)}`);
  if (!family.verbs) return { family, command: family.commands[0], words: 1 };
  if (second === undefined) return { family, words: 1 };
  const command = family.commands.find((c) => c.name === second);
  if (!command)
    throw new UsageError(
      `unknown command ${JSON.stringify(`${first} ${second}`)}: ${family.name} takes ${family.commands.map((c) => c.name).join(", ")}`,
    );
  return { family, command, words: 2 };
}

export async function run(argv: string[], io: Io): Promise<ExitCode> {
  const connections: Connection[] = [];
  let resolved: Resolved = { words: 0 };
  try {
    let words = positionalsOf(argv, ALL_OPTIONS);
    const wantsHelp = argv.includes("--help") || argv.includes("-h");
    if (words[0] === "help") {
      words = words.slice(1);
      resolved = resolveCommand(words);
      io.stdout(
        `${resolved.command ? commandHelp(resolved.command) : resolved.family ? familyHelp(resolved.family) : mainHelp(FAMILIES)}\n`,
      );
      return ExitCode.Ok;
    }
    resolved = resolveCommand(words);
    const { family, command } = resolved;
    if (!command) {
      if (wantsHelp) {
        io.stdout(`${family ? familyHelp(family) : mainHelp(FAMILIES)}\n`);
        return ExitCode.Ok;
      }
      if (!family) {
        io.stderr(`${mainHelp(FAMILIES)}\n`);
        return ExitCode.Usage;
      }
      throw new UsageError(`${family.name} needs one of: ${family.commands.map((c) => c.name).join(", ")}`);
    }
    const { args, values } = parseLine(argv, { ...GLOBAL_OPTIONS, ...command.options }, resolved.words);
    if (flagOpt(values, "help")) {
      io.stdout(`${commandHelp(command)}\n`);
      return ExitCode.Ok;
    }
    const format = parseOutputFormat(stringOpt(values, "output"));
    const timeout = stringOpt(values, "timeout");
    const flags: TargetFlags = {
      url: stringOpt(values, "url"),
      caFile: stringOpt(values, "ca-file"),
      insecureSkipVerify: flagOpt(values, "insecure-skip-verify"),
      http2: flagOpt(values, "http2"),
      timeoutMs: timeout === undefined ? undefined : parseDurationSeconds(timeout, "--timeout") * 1000,
    };
    const ctx = makeContext(io, format, flags, connections);
    const view = await command.run(ctx, args, values);
    if (view) io.stdout(render(view, format));
    return ExitCode.Ok;
  } catch (error) {
    const code = exitCodeFor(error);
    io.stderr(`groundctl: ${describeError(error)}\n`);
    if (code === ExitCode.Usage) {
      const where = resolved.command
        ? `${resolved.family!.verbs ? `${resolved.family!.name} ` : ""}${resolved.command.name} `
        : resolved.family
          ? `${resolved.family.name} `
          : "";
      io.stderr(`Run 'groundctl ${where}--help' for usage.\n`);
    }
    if (io.env.GROUNDCTL_DEBUG && error instanceof Error) io.stderr(`${error.stack}\n`);
    return code;
  } finally {
    for (const c of connections) c.close();
  }
}

function makeContext(
  io: Io,
  format: ReturnType<typeof parseOutputFormat>,
  flags: TargetFlags,
  connections: Connection[],
): Context {
  const dir = configDir(io.env);
  let admin: Promise<Clients> | undefined;
  let stdin: Promise<string> | undefined;
  const ctx: Context = {
    env: io.env,
    format,
    flags,
    configDir: dir,
    now: io.now,
    note: (text) => io.stderr(`${text}\n`),
    readStdin: () => (stdin ??= io.readStdin()),
    async readInput(path) {
      if (path === "-") return ctx.readStdin();
      try {
        return await readFile(path, "utf8");
      } catch (error) {
        throw new UsageError(
          `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
    },
    admin: () => (admin ??= readSession(dir).then((session) => ctx.clientsFor(resolveTarget(flags, io.env, session)))),
    async clientsFor(target: Target) {
      if (target.insecureSkipVerify && target.url.startsWith("https:"))
        io.stderr(`groundctl: warning: not verifying ${target.url}'s TLS certificate (--insecure-skip-verify)\n`);
      const connection = await io.connect(target);
      connections.push(connection);
      return clientsOn(connection.transport);
    },
  };
  return ctx;
}
