// Blob upload sessions: an id in the Location URL, the repository it was opened for, the client
// address that opened it, and the blob writer the chunks go to. Sessions live in memory (a
// restart drops them; clients start over) and are aborted after sitting idle, so abandoned
// uploads do not fill the disk.
//
// Each session holds an open temp file, so their number is capped, in all and per client
// address. A slot is reserved synchronously, before the handler awaits anything (opening the
// temp file), so concurrent POSTs can never overshoot a cap. A session that has received no
// byte yet expires much sooner than one under way: one client cannot hold every slot for an
// hour by opening sessions and sending nothing.
import { randomUUID } from "node:crypto";
import { OciError } from "@harbor-satellite/oci";
import type { ResumableBlobWriter } from "../store/blob-writer.js";

export interface UploadSession {
  readonly id: string;
  readonly repository: string;
  /** The client address (sourceKey) that opened it. */
  readonly source: string;
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

/** A slot taken by reserve(): turned into a session by open(), or given back by release(). */
export interface SessionSlot {
  readonly source: string;
  settled: boolean;
}

export const DEFAULT_UPLOAD_IDLE_MS = 60 * 60 * 1000;
/** A session that has received no byte is dropped after this long idle. */
export const DEFAULT_EMPTY_UPLOAD_IDLE_MS = 60 * 1000;
/** Each session holds an open temp file; past this many, new uploads wait (429). */
export const DEFAULT_MAX_UPLOAD_SESSIONS = 1024;
/** Sessions one client address may hold at once. */
export const DEFAULT_MAX_UPLOAD_SESSIONS_PER_SOURCE = 64;

export interface UploadSessionLimits {
  /** Idle time after which a session with bytes is aborted. */
  idleMs?: number;
  /** Idle time after which a session with no bytes yet is aborted. */
  emptyIdleMs?: number;
  maxSessions?: number;
  maxSessionsPerSource?: number;
}

export class UploadSessions {
  private readonly sessions = new Map<string, UploadSession>();
  /** Open sessions plus reserved slots, per source. */
  private readonly bySource = new Map<string, number>();
  private reserved = 0;
  private highWater = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly idleMs: number;
  private readonly emptyIdleMs: number;
  private readonly maxSessions: number;
  private readonly maxPerSource: number;

  constructor(limits: UploadSessionLimits = {}) {
    this.idleMs = limits.idleMs ?? DEFAULT_UPLOAD_IDLE_MS;
    this.emptyIdleMs = Math.min(limits.emptyIdleMs ?? DEFAULT_EMPTY_UPLOAD_IDLE_MS, this.idleMs);
    this.maxSessions = limits.maxSessions ?? DEFAULT_MAX_UPLOAD_SESSIONS;
    this.maxPerSource = Math.min(
      limits.maxSessionsPerSource ?? DEFAULT_MAX_UPLOAD_SESSIONS_PER_SOURCE,
      this.maxSessions,
    );
    this.timer = setInterval(() => void this.expire(Date.now()), Math.max(100, Math.min(this.emptyIdleMs / 2, 60_000)));
    this.timer.unref();
  }

  /**
   * Takes a slot for `source` now, or throws TOOMANYREQUESTS when either cap is reached. Call it
   * before any await, and settle the slot with open() or release().
   */
  reserve(source: string): SessionSlot {
    const held = this.bySource.get(source) ?? 0;
    if (this.sessions.size + this.reserved >= this.maxSessions)
      throw new OciError("TOOMANYREQUESTS", "too many uploads in progress", { retryAfterSeconds: 10 });
    if (held >= this.maxPerSource)
      throw new OciError("TOOMANYREQUESTS", "too many uploads in progress from this address", {
        retryAfterSeconds: 10,
      });
    this.bySource.set(source, held + 1);
    this.reserved++;
    this.highWater = Math.max(this.highWater, this.sessions.size + this.reserved);
    return { source, settled: false };
  }

  /** Gives back a slot that did not become a session (the writer could not be opened). */
  release(slot: SessionSlot): void {
    if (slot.settled) return;
    slot.settled = true;
    this.reserved--;
    this.drop(slot.source);
  }

  open(slot: SessionSlot, repository: string, writer: ResumableBlobWriter): UploadSession {
    if (slot.settled) throw new Error("upload slot already used");
    slot.settled = true;
    this.reserved--;
    const session: UploadSession = {
      id: randomUUID(),
      repository,
      source: slot.source,
      writer,
      queue: Promise.resolve(),
      active: 0,
      offset: 0,
      lastActive: Date.now(),
    };
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
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    this.drop(session.source);
  }

  /** Forgets the session at once and aborts its writer once the requests on it are done. */
  async cancel(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.forget(id);
    await session.queue;
    await session.writer.abort();
  }

  /** Open sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** The most sessions (and reserved slots) ever held at once. */
  get peak(): number {
    return this.highWater;
  }

  /** Sessions and reserved slots held by one source. */
  heldBy(source: string): number {
    return this.bySource.get(source) ?? 0;
  }

  /** Aborts sessions idle too long (shorter for those with no bytes); returns how many. */
  async expire(now: number): Promise<number> {
    const stale = [...this.sessions.values()].filter(
      (s) =>
        s.active === 0 &&
        now - s.lastActive >= (s.offset === 0 && s.writer.written === 0 ? this.emptyIdleMs : this.idleMs),
    );
    for (const session of stale) await this.cancel(session.id);
    return stale.length;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const id of [...this.sessions.keys()]) await this.cancel(id);
  }

  private drop(source: string): void {
    const left = (this.bySource.get(source) ?? 1) - 1;
    if (left <= 0) this.bySource.delete(source);
    else this.bySource.set(source, left);
  }
}
