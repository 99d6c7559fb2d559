// Writes index.json with group commit: callers that ask while a write is in flight share the
// next write, whose snapshot is taken after all their changes. Every `persist()` resolves once
// a write that includes the caller's change is durable. Ten concurrent tag pushes cost two
// writes, not ten.
import { writeFileAtomic } from "../fs/atomic-file.js";

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class IndexFile {
  private waiters: Waiter[] = [];
  private running = false;
  private lastWritten: string | undefined;

  constructor(
    private readonly path: string,
    private readonly tempDir: string,
    private readonly snapshot: () => string,
  ) {}

  /** Resolves when the state as of this call is on disk. */
  persist(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.running) {
      this.running = true;
      void this.drain();
    }
    return done;
  }

  /** Records what is already on disk (after loading), so an unchanged state is not rewritten. */
  markWritten(text: string): void {
    this.lastWritten = text;
  }

  private async drain(): Promise<void> {
    while (this.waiters.length > 0) {
      const batch = this.waiters.splice(0);
      try {
        const text = this.snapshot();
        if (text !== this.lastWritten) {
          await writeFileAtomic(this.path, text, { tempDir: this.tempDir });
          this.lastWritten = text;
        }
        for (const waiter of batch) waiter.resolve();
      } catch (error) {
        // The next write retries with the full state, so one failure loses nothing in memory.
        this.lastWritten = undefined;
        for (const waiter of batch) waiter.reject(error);
      }
    }
    this.running = false;
  }
}
