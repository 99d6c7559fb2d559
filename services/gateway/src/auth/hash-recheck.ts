// The authenticator re-checks each remembered robot credential against its stored hashes once a
// minute (so a rotated secret stops working within a minute everywhere). A fleet heartbeating
// every 30 s does that once per two heartbeats, and one query per robot cost ~140 µs of CPU, more
// than the rest of a heartbeat; so the re-checks due together share one read. A re-check waits at
// most for the read already running: names asked while it runs go in the next one, which starts
// as soon as it ends (or on the next turn of the event loop when none runs).

/** Each named robot's stored hashes; a robot that does not exist has no entry. */
export type HashLookup = (robotNames: readonly string[]) => Promise<Map<string, string[]>>;

/** The hashes a robot's secret may match now (empty when the robot is gone). */
export type HashRecheck = (robotName: string) => Promise<string[]>;

/** Most names in one read. */
export const RECHECK_BATCH = 500;

interface Waiter {
  resolve(hashes: string[]): void;
  reject(error: unknown): void;
}

export function batchedHashRecheck(lookup: HashLookup, batch = RECHECK_BATCH): HashRecheck {
  let queued = new Map<string, Waiter[]>();
  let running = false;
  let scheduled = false;

  const schedule = () => {
    if (scheduled || running) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void run();
    });
  };

  const take = (): Map<string, Waiter[]> => {
    if (queued.size <= batch) {
      const all = queued;
      queued = new Map();
      return all;
    }
    const some = new Map<string, Waiter[]>();
    for (const [name, waiters] of queued) {
      if (some.size === batch) break;
      some.set(name, waiters);
      queued.delete(name);
    }
    return some;
  };

  const run = async () => {
    if (queued.size === 0) return;
    running = true;
    const names = take();
    try {
      const found = await lookup([...names.keys()]);
      for (const [name, waiters] of names) for (const w of waiters) w.resolve(found.get(name) ?? []);
    } catch (error) {
      for (const waiters of names.values()) for (const w of waiters) w.reject(error);
    } finally {
      running = false;
      schedule();
    }
  };

  return (robotName) =>
    new Promise<string[]>((resolve, reject) => {
      const waiters = queued.get(robotName);
      if (waiters) waiters.push({ resolve, reject });
      else queued.set(robotName, [{ resolve, reject }]);
      schedule();
    });
}
