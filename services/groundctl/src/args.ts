// Command-line parsing: `groundctl [global options] FAMILY [VERB] [args] [options]`, options
// allowed anywhere. Two passes over node:util's parseArgs: a lenient one (every option any command
// knows) finds the command words, a strict one checks the options against that command's.
import { parseArgs } from "node:util";
import { UsageError } from "./exit-codes.js";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Placeholder for the value in help, e.g. "FILE". */
  value?: string;
  help: string;
}
export type OptionSpecs = Record<string, OptionSpec>;
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export const GLOBAL_OPTIONS: OptionSpecs = {
  url: {
    type: "string",
    value: "URL",
    help: "Ground Control's URL, http:// or https:// (else GROUNDCTL_URL, else the session's)",
  },
  output: { type: "string", short: "o", value: "FORMAT", help: "table (default), json or yaml" },
  "ca-file": {
    type: "string",
    value: "FILE",
    help: "PEM CA bundle to verify an https Ground Control with (else GROUNDCTL_CA_FILE)",
  },
  "insecure-skip-verify": {
    type: "boolean",
    help: "do not verify Ground Control's TLS certificate (said on stderr every time)",
  },
  http2: { type: "boolean", help: "speak HTTP/2 (h2c for http://) instead of HTTP/1.1" },
  timeout: { type: "string", value: "DUR", help: "give up on an rpc after this long (30s)" },
  help: { type: "boolean", short: "h", help: "show help" },
};

export interface ParsedLine {
  /** Command words: family, then verb when the family has verbs. */
  words: string[];
  /** Positionals after the command words. */
  args: string[];
  values: OptionValues;
}

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

function toParseArgs(specs: OptionSpecs): ParseArgsOptions {
  const out: ParseArgsOptions = {};
  for (const [name, spec] of Object.entries(specs))
    out[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  return out;
}

/**
 * The positionals of `argv`, reading every option in `known` with its type, unknown ones as flags.
 * Used to find the command words before the command's own options are known.
 */
export function positionalsOf(argv: string[], known: OptionSpecs): string[] {
  return parseArgs({ args: argv, options: toParseArgs(known), strict: false, allowPositionals: true }).positionals;
}

/**
 * Parses `argv` strictly against `specs` (the command's options plus the global ones) and splits
 * off the first `wordCount` positionals as the command words.
 */
export function parseLine(argv: string[], specs: OptionSpecs, wordCount: number): ParsedLine {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: toParseArgs(specs), strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(parseArgsMessage(error));
  }
  return {
    words: parsed.positionals.slice(0, wordCount),
    args: parsed.positionals.slice(wordCount),
    values: parsed.values as OptionValues,
  };
}

/** node's messages are long and mention `args`; say which option and what was wrong. */
function parseArgsMessage(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const option = /'(-[^'\s]*)/.exec(e.message ?? "")?.[1]?.replace(/,$/, "");
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option ?? ""}`.trim();
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return option
        ? `option ${option} ${/argument missing/.test(e.message ?? "") ? "needs a value" : "takes no value"}`
        : (e.message ?? "invalid option");
    default:
      return e.message ?? String(error);
  }
}

/** A string option's value, or undefined. */
export const stringOpt = (values: OptionValues, name: string): string | undefined => {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
};
/** A repeatable string option's values (empty when not given). */
export const listOpt = (values: OptionValues, name: string): string[] => {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
};
export const flagOpt = (values: OptionValues, name: string): boolean => values[name] === true;

/** Checks the number of positionals; `names` describes them for the message. */
export function expectArgs(args: string[], min: number, max: number, names: string): void {
  if (args.length < min) throw new UsageError(`missing ${names}`);
  if (args.length > max) throw new UsageError(`unexpected argument ${JSON.stringify(args[max])}`);
}
