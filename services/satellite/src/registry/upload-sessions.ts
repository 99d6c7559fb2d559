// Blob upload sessions: an id in the Location URL, the repository it was opened for, and the
// blob writer the chunks go to. Sessions live in memory (a restart drops them; clients start
// over) and are aborted after sitting idle, so abandoned uploads do not fill the disk.
import { randomUUID } from "node:crypto";
import type { ResumableBlobWriter } from "../store/blob-writer.js";

export interface UploadSession {
  readonly id: string;
  readonly repository: string;
  readonly writer: ResumableBlobWriter;
  /** Settles when the requests queued on this session are done (see withSession). */
  queue: Promise<void>;
  /**
   * Bytes accepted by requests that have finished: what a status GET reports without waiting
   * for a request still in flight (whose bytes may yet be taken back).
   */
  offset: number;
  /** Requests running or queued; a session in use never expires. */
  active: number;
  lastActive: number;
}

export const DEFAULT_UPLOAD_IDLE_MS = 60 * 60 * 1000;
/** Each session holds an open temp file; past this many, new uploads wait (429). */
export const DEFAULT_MAX_UPLOAD_SESSIONS = 1024;

export class UploadSessions {
  private readonly sessions = new Map<string, UploadSession>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly idleMs: number = DEFAULT_UPLOAD_IDLE_MS,
    private readonly maxSessions: number = DEFAULT_MAX_UPLOAD_SESSIONS,
  ) {
    this.timer = setInterval(() => void this.expire(Date.now()), Math.min(idleMs, 60_000));
    this.timer.unref();
  }

  /** False when no more sessions may open now; the caller answers TOOMANYREQUESTS. */
  hasRoom(): boolean {
    return this.sessions.size < this.maxSessions;
  }

  open(repository: string, writer: ResumableBlobWriter): UploadSession {
    const session: UploadSession = { id: randomUUID(), repository, writer, queue: Promise.resolve(), active: 0, offset: 0, lastActive: Date.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The session, if it exists and belongs to `repository`. */
  get(repository: string, id: string): UploadSession | undefined {
    const session = this.sessions.get(id);
    return session?.repository === repository ? session : undefined;
  }

  /** Forgets a session whose writer was committed or aborted by the caller. */
  forget(id: string): void {
    this.sessions.delete(id);
  }

  /** Forgets the session at once and aborts its writer once the requests on it are done. */
  async cancel(id: string): Promise<void> {
    const session = this.sessions.get(id);
    this.sessions.delete(id);
    if (!session) return;
    await session.queue;
    await session.writer.abort();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Aborts sessions idle since before `now - idleMs`; returns how many. */
  async expire(now: number): Promise<number> {
    const stale = [...this.sessions.values()].filter((s) => s.active === 0 && now - s.lastActive >= this.idleMs);
    for (const session of stale) await this.cancel(session.id);
    return stale.length;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const id of [...this.sessions.keys()]) await this.cancel(id);
  }
}
