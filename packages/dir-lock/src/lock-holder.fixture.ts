// A child process for the lock tests. Prints "ready", waits for a line on stdin (so several can
// start racing at one instant), then takes the lock of argv[2] and prints "won", or prints
// "locked <pid>". A winner holds the lock until its stdin closes, then releases it and exits.
import { once } from "node:events";
import { DirectoryLockedError, lockDirectory } from "./dir-lock.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: lock-holder.fixture.ts <dir>");
process.stdin.setEncoding("utf8");
process.stdout.write("ready\n");
await once(process.stdin, "data");
try {
  const lock = await lockDirectory(dir);
  process.stdout.write("won\n");
  process.stdin.on("end", () => void lock.release().then(() => process.exit(0)));
} catch (error) {
  if (!(error instanceof DirectoryLockedError)) throw error;
  process.stdout.write(`locked ${error.pid}\n`);
  process.exit(0);
}
