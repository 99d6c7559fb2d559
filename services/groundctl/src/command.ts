// What a command is and what it gets to run with. Commands read their arguments, call rpcs through
// the Context and return a View; they never write results or decide exit codes themselves.
import type { OptionSpecs, OptionValues } from "./args.js";
import type { Clients, Connection } from "./clients.js";
import type { OutputFormat, View } from "./output.js";
import type { Target, TargetFlags } from "./target.js";

export interface Context {
  env: NodeJS.ProcessEnv;
  format: OutputFormat;
  flags: TargetFlags;
  /** Where the session lives. */
  configDir: string;
  now(): Date;
  /** A line for the person at the terminal (stderr); never data. */
  note(text: string): void;
  /** Everything on standard input. */
  readStdin(): Promise<string>;
  /** A file's text; `-` reads standard input. Unreadable: UsageError. */
  readInput(path: string): Promise<string>;
  /** Clients with admin credentials (flags, environment, session); NotLoggedInError without. */
  admin(): Promise<Clients>;
  /** Clients for a target of the command's making (login, logout). */
  clientsFor(target: Target): Promise<Clients>;
}

export interface Command {
  /** The verb (`list`), or the family's name for a family without verbs. */
  name: string;
  /** After `groundctl `: `satellites list [--region R]`. */
  usage: string;
  summary: string;
  options?: OptionSpecs;
  /** Returns what to print, or nothing. */
  run(ctx: Context, args: string[], values: OptionValues): Promise<View | void>;
}

export interface Family {
  name: string;
  summary: string;
  /** Its verbs; a family without verbs has exactly one command, named as the family. */
  commands: Command[];
  verbs: boolean;
}

/** Opens connections for a context and closes them all at the end of the run. */
export type Connector = (target: Target) => Promise<Connection>;
