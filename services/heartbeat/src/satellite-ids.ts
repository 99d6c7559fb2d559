// Satellite name → id, remembered: the fleet changes rarely, heartbeats arrive thousands of
// times a second. Misses that arrive together are looked up together in one query. Entries are
// dropped when a write finds their satellite gone (deleted, or deleted and created again under
// a new id), so a stale entry costs one retry, never a wrong row.

export type SatelliteLookup = (names: readonly string[]) => Promise<Map<string, number>>;

interface Waiter {
  resolve(id: number | undefined): void;
  reject(error: unknown): void;
}

export class SatelliteIds {
  private readonly known = new Map<string, number>();
  private pending = new Map<string, Waiter[]>();
  private scheduled = false;

  constructor(
    private readonly lookup: SatelliteLookup,
    private readonly maxEntries = 1_000_000,
  ) {}

  /** The satellite's id, or undefined when no satellite has that name. */
  resolve(name: string): Promise<number | undefined> | number {
    const id = this.known.get(name);
    if (id !== undefined) return id;
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(name);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(name, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Forgets a name whose cached id turned out stale. */
  forget(name: string): void {
    this.known.delete(name);
  }

  get size(): number {
    return this.known.size;
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    try {
      const found = await this.lookup([...batch.keys()]);
      // A fleet larger than the bound would evict constantly; clearing keeps memory bounded and
      // the common case (a fleet that fits) free of bookkeeping.
      if (this.known.size + found.size > this.maxEntries) this.known.clear();
      for (const [name, waiters] of batch) {
        const id = found.get(name);
        if (id !== undefined) this.known.set(name, id);
        for (const w of waiters) w.resolve(id);
      }
    } catch (error) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
    }
  }
}
