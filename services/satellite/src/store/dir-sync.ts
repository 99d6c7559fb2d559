// Group commit for folder fsyncs. A rename into blobs/ is durable once the folder has been fsynced
// after it; one fsync covers every rename made before it started. So callers that arrive while a
// folder's fsync is running wait for the next one, which starts when the current one ends and
// serves all of them: N blobs installed at once cost ~2 folder fsyncs instead of N, and each
// caller still returns only after an fsync that began after its own rename.
import { fsyncDir } from "../fs/atomic-file.js";

interface FolderState {
  /** The fsync running now (covers renames made before it started). */
  running?: Promise<void>;
  /** The fsync that starts when `running` ends (covers renames made while it runs). */
  next?: Promise<void>;
}

export class DirSync {
  private readonly folders = new Map<string, FolderState>();

  constructor(private readonly syncFolder: (dir: string) => Promise<void> = fsyncDir) {}

  /** Resolves once `dir` has been fsynced by a call that started after this one was made. */
  sync(dir: string): Promise<void> {
    let state = this.folders.get(dir);
    if (!state) this.folders.set(dir, (state = {}));
    if (!state.running) return this.start(dir, state);
    // Joins the queued fsync (or queues one): the running one may have started before our rename.
    state.next ??= state.running.then(
      () => this.start(dir, state, true),
      () => this.start(dir, state, true),
    );
    return state.next;
  }

  private start(dir: string, state: FolderState, queued = false): Promise<void> {
    if (queued) state.next = undefined;
    const running = this.syncFolder(dir);
    state.running = running;
    const done = () => {
      if (state.running !== running) return;
      state.running = undefined;
      if (!state.next) this.folders.delete(dir);
    };
    running.then(done, done);
    return running;
  }
}
