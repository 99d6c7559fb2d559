// Help text, built from the command definitions so it cannot drift from them.
import { GLOBAL_OPTIONS, type OptionSpecs } from "./args.js";
import type { Command, Family } from "./command.js";
import { EXIT_CODES_HELP } from "./exit-codes.js";

const ENVIRONMENT = `Environment:
  GROUNDCTL_URL                            Ground Control's URL when --url is not given
  GROUNDCTL_TOKEN                          a session token (from IdentityService/Login) to use instead of the stored session
  GROUNDCTL_USERNAME, GROUNDCTL_PASSWORD   admin Basic credentials to use instead of the stored session (user admin when unset)
  GROUNDCTL_CA_FILE                        as --ca-file
  GROUNDCTL_CONFIG_DIR                     where the session is stored (else $XDG_CONFIG_HOME/groundctl, else ~/.config/groundctl)`;

function optionLines(specs: OptionSpecs): string {
  const left = Object.entries(specs).map(
    ([name, s]) => `${s.short ? `-${s.short}, ` : "    "}--${name}${s.value ? ` ${s.value}` : ""}`,
  );
  const width = Math.max(...left.map((l) => l.length));
  return Object.values(specs)
    .map((s, i) => `  ${left[i].padEnd(width)}  ${s.help}`)
    .join("\n");
}

export function mainHelp(families: Family[]): string {
  const lines = families.flatMap((f) => f.commands.map((c) => `  ${c.usage}\n      ${c.summary}`));
  return `groundctl: the admin command line for Ground Control.

Usage: groundctl COMMAND [ARGS] [OPTIONS]

Commands:
${lines.join("\n")}

Options (any command):
${optionLines(GLOBAL_OPTIONS)}

Credentials: GROUNDCTL_TOKEN, else GROUNDCTL_PASSWORD, else the session groundctl login stored
(used only for the URL it was made for).

${ENVIRONMENT}

${EXIT_CODES_HELP}

Errors are one line on stderr: groundctl: CODE: MESSAGE (CODE as Connect names it, e.g. not_found).
Run 'groundctl COMMAND --help' for a command's options.`;
}

export function familyHelp(family: Family): string {
  return `Usage:\n${family.commands.map((c) => `  groundctl ${c.usage}\n      ${c.summary}`).join("\n")}\n\nRun 'groundctl ${family.name} VERB --help' for a command's options.`;
}

export function commandHelp(command: Command): string {
  const own =
    command.options && Object.keys(command.options).length ? `\n\nOptions:\n${optionLines(command.options)}` : "";
  return `Usage: groundctl ${command.usage}\n\n${command.summary}${own}\n\nOptions (any command):\n${optionLines(GLOBAL_OPTIONS)}`;
}
