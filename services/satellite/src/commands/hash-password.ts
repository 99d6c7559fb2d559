// `satellite hash-password`: reads a password from stdin (its first line) and prints the scrypt
// hash to put after `user:` in a --registry-write-credentials-file, so the file holds no
// password in the clear. The password never appears in argv.
//   printf '%s\n' "$PASSWORD" | satellite hash-password
import { text } from "node:stream/consumers";
import { ExitCode } from "./exit-code.js";
import { UsageError } from "../flags/usage-error.js";
import { hashPassword } from "../registry/write-credentials.js";

const HELP = `Usage: printf '%s\\n' "$PASSWORD" | satellite hash-password

Reads a password from stdin and prints an scrypt hash for --registry-write-credentials-file
(a line reads user:<hash>).`;

export async function run(argv: string[], input: NodeJS.ReadableStream = process.stdin): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${HELP}\n`);
    return ExitCode.Ok;
  }
  if (argv.length > 0) throw new UsageError("hash-password takes no arguments: the password comes on stdin");
  const password = (await text(input)).split(/\r?\n/)[0];
  if (!password) throw new UsageError("hash-password: no password on stdin");
  process.stdout.write(`${await hashPassword(password)}\n`);
  return ExitCode.Ok;
}
