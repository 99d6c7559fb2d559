// How a serving process ends: the first SIGTERM or SIGINT starts a graceful stop (stop
// accepting, let work in flight finish or abort it, close the database); a second signal, or the
// grace period running out, ends the process at once with exit code 1, so an orchestrator's
// "stop" never waits on a stuck request. And a process started by npm (npm start, npx) stops
// when its parent goes away: npm runs scripts under `sh -c`, which does not pass signals on, so a
// SIGTERM to npm's pid would otherwise leave the node process running and holding its ports.

export type ShutdownSignal = "SIGTERM" | "SIGINT" | "parent-exited";

export interface ShutdownOptions {
  /** After the first signal, the process is ended this much later whatever is still running. */
  graceMs: number;
  /** Called before the forced exit (a second signal, or the grace period over). */
  onForce?: (why: "second-signal" | "grace-expired") => void;
  /** Watch the parent process (default: when npm started this process). */
  watchParent?: boolean;
}

/** Resolves with the first shutdown signal; from then on the grace period runs. */
export function waitForShutdown(options: ShutdownOptions): Promise<ShutdownSignal> {
  return new Promise((resolve) => {
    let started = false;
    const force = (why: "second-signal" | "grace-expired") => {
      options.onForce?.(why);
      process.exit(1);
    };
    const begin = (signal: ShutdownSignal) => {
      if (started) return force("second-signal");
      started = true;
      setTimeout(() => force("grace-expired"), options.graceMs).unref();
      resolve(signal);
    };
    process.on("SIGTERM", () => begin("SIGTERM"));
    process.on("SIGINT", () => begin("SIGINT"));
    if (options.watchParent ?? startedByNpm()) watchParent(() => begin("parent-exited"));
  });
}

/** npm sets these for `npm start`/`npm run` (npm_lifecycle_event) and `npx`/`npm exec` (npm_command). */
export function startedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.npm_lifecycle_event || env.npm_command);
}

/** Calls `onGone` once when the parent process exits (this process is then reparented). */
export function watchParent(onGone: () => void, everyMs = 1000): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onGone();
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
