// `satellite` command line: picks the subcommand and maps its outcome to an exit code. This is
// the only place that decides exit codes.
//   satellite serve --data-dir DIR --addr HOST:PORT      local OCI registry alone
//   satellite sync --once --upstream URL --image R:T …   one replication pass, no Ground Control
//   satellite hash-password                              scrypt hash of a password read from stdin
//   satellite [--ground-control-url URL …]               the agent (enrolment, schedulers, registry)
import { ExitCode } from "../commands/exit-code.js";
import { UsageError } from "../flags/usage-error.js";

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import("../commands/serve.js")).run,
  sync: async () => (await import("../commands/sync.js")).run,
  "hash-password": async () => (await import("../commands/hash-password.js")).run,
};

const HELP = `Usage:
  satellite serve --data-dir DIR [--addr 127.0.0.1:8585] [--read-only | --registry-write-credentials-file FILE]
                  [--tls-cert FILE --tls-key FILE] [--registry-read-credentials-file FILE] [--config FILE]
  satellite sync --once --upstream URL [--username U --password P] --image REPO:TAG [--image …] --data-dir DIR
                 [--config FILE] [--ignore-window | --wait-for-window]
  satellite --ground-control-url URL (--token-file FILE | --spiffe-enabled --spiffe-endpoint-socket unix:///…) [--data-dir DIR]
  satellite hash-password < password.txt

Run 'satellite <command> --help' (or 'satellite --ground-control-url URL --help') for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "help" || ((first === "--help" || first === "-h") && rest.length === 0)) {
    process.stdout.write(`${HELP}\n`);
    return ExitCode.Ok;
  }
  const load = first && !first.startsWith("-") ? COMMANDS[first] : undefined;
  try {
    if (first && !first.startsWith("-") && !load) throw new UsageError(`unknown command '${first}'`);
    if (load) return await (await load())(rest);
    return await (await import("../commands/agent.js")).run(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`satellite: ${error.message}\n\n${HELP}\n`);
      return ExitCode.Usage;
    }
    process.stderr.write(`satellite: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.Failure;
  }
}
