// A readers-writer lock for async code. Writes into the store (blob installs, manifest links,
// tag moves) take it shared; garbage collection takes it exclusive, so a blob is never swept
// between a manifest's "is it present?" check and the link that makes it reachable. Waiting
// exclusive holders block new shared ones, so a busy store cannot starve GC.

export class RwLock {
  private shared = 0;
  private exclusive = false;
  private readonly waitingShared: (() => void)[] = [];
  private readonly waitingExclusive: (() => void)[] = [];

  /** Runs `fn` while holding the lock shared. */
  async withShared<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquireShared();
    try {
      return await fn();
    } finally {
      this.releaseShared();
    }
  }

  /** Runs `fn` while holding the lock exclusively. */
  async withExclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquireExclusive();
    try {
      return await fn();
    } finally {
      this.releaseExclusive();
    }
  }

  private acquireShared(): Promise<void> {
    if (!this.exclusive && this.waitingExclusive.length === 0) {
      this.shared++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waitingShared.push(() => (this.shared++, resolve())));
  }

  private releaseShared(): void {
    this.shared--;
    this.wake();
  }

  private acquireExclusive(): Promise<void> {
    if (!this.exclusive && this.shared === 0) {
      this.exclusive = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waitingExclusive.push(() => ((this.exclusive = true), resolve())));
  }

  private releaseExclusive(): void {
    this.exclusive = false;
    this.wake();
  }

  private wake(): void {
    if (this.exclusive) return;
    if (this.waitingExclusive.length > 0) {
      if (this.shared === 0) this.waitingExclusive.shift()?.();
      return;
    }
    while (this.waitingShared.length > 0) this.waitingShared.shift()?.();
  }
}
