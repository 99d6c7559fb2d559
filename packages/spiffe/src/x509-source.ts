// A rotating holder of our current X509-SVID and the trust bundles: what TLS options are built
// from. Fed by a Workload API watch (createX509Source) or by hand (createStaticX509Source, for
// tests and for services given files). Listeners hear every rotation so servers can swap their
// SecureContext without a restart.
import { EventEmitter } from "node:events";
import type { BackoffOptions } from "@harbor-satellite/retry";
import { status } from "@grpc/grpc-js";
import { InvalidSvidError, X509SourceError, type WorkloadApiError } from "./errors.js";
import type { TrustDomain } from "./spiffe-id.js";
import { createWorkloadApiClient, type WorkloadApiClient } from "./workload-client.js";
import type { X509Bundle, X509BundleSet, X509BundleSource } from "./x509-bundle.js";
import type { X509Context } from "./x509-context.js";
import type { X509Svid } from "./x509-svid.js";

/** Picks our identity out of several; default: the first (the default identity). */
export type SvidPicker = (svids: readonly X509Svid[]) => X509Svid | undefined;

export interface X509SourceEvents {
  /** A new SVID and/or bundle set is in force. */
  update: [context: { svid: X509Svid; bundles: X509BundleSet }];
  /** The Workload API took our identity away (PermissionDenied): we have no SVID until the next update. */
  redacted: [];
  /** A problem: recoverable (the agent unreachable, a bad message) unless `final` is set. */
  error: [error: Error];
  /** close() was called. */
  closed: [];
}

export interface X509Source extends X509BundleSource {
  /** Our current SVID; throws X509SourceError when there is none (not ready, redacted, closed). */
  getX509Svid(): X509Svid;
  /** The current bundle set (all trust domains). */
  getX509Bundles(): X509BundleSet;
  getX509Bundle(trustDomain: TrustDomain): X509Bundle | undefined;
  /** Whether an SVID is available now. */
  readonly ready: boolean;
  /** Resolves once an SVID is available; rejects with X509SourceError on timeout, failure or close. */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  /** Subscribes to updates; returns the unsubscribe function. */
  watch(listener: (context: { svid: X509Svid; bundles: X509BundleSet }) => void): () => void;
  on<K extends keyof X509SourceEvents>(event: K, listener: (...args: X509SourceEvents[K]) => void): this;
  once<K extends keyof X509SourceEvents>(event: K, listener: (...args: X509SourceEvents[K]) => void): this;
  off<K extends keyof X509SourceEvents>(event: K, listener: (...args: X509SourceEvents[K]) => void): this;
  close(): Promise<void>;
}

/** An X509Source whose contents the owner sets. */
export interface MutableX509Source extends X509Source {
  /** Replaces the SVID and/or bundles (full state) and notifies listeners. */
  set(context: { svid?: X509Svid; bundles?: X509BundleSet }): void;
}

class X509SourceImpl extends EventEmitter<X509SourceEvents> implements MutableX509Source {
  private svid: X509Svid | undefined;
  private bundles: X509BundleSet | undefined;
  private closed = false;
  private failure: Error | undefined;
  /** Set when the feeding watch has stopped for good: waiting is pointless then. */
  isFinal = false;
  onClose: () => Promise<void> = async () => {};

  get ready(): boolean {
    return !this.closed && this.svid !== undefined && this.bundles !== undefined;
  }

  getX509Svid(): X509Svid {
    if (this.closed) throw new X509SourceError("closed", "X509 source is closed");
    if (!this.svid) throw new X509SourceError("failed", "no X509-SVID available (not received yet or redacted)");
    return this.svid;
  }

  getX509Bundles(): X509BundleSet {
    if (this.closed) throw new X509SourceError("closed", "X509 source is closed");
    if (!this.bundles) throw new X509SourceError("failed", "no trust bundles available yet");
    return this.bundles;
  }

  getX509Bundle(trustDomain: TrustDomain): X509Bundle | undefined {
    return this.closed ? undefined : this.bundles?.getX509Bundle(trustDomain);
  }

  set(context: { svid?: X509Svid; bundles?: X509BundleSet }): void {
    if (this.closed) return;
    if (context.svid) this.svid = context.svid;
    if (context.bundles) this.bundles = context.bundles;
    if (this.svid && this.bundles) this.emit("update", { svid: this.svid, bundles: this.bundles });
  }

  redact(): void {
    if (this.closed || !this.svid) return;
    this.svid = undefined;
    this.emit("redacted");
  }

  fail(error: Error): void {
    this.failure = error;
    this.emit("error", error);
  }

  watch(listener: (context: { svid: X509Svid; bundles: X509BundleSet }) => void): () => void {
    this.on("update", listener);
    return () => this.off("update", listener);
  }

  waitUntilReady(timeoutMs = 30_000): Promise<void> {
    if (this.ready) return Promise.resolve();
    if (this.closed) return Promise.reject(new X509SourceError("closed", "X509 source is closed"));
    if (this.isFinal) return Promise.reject(this.finalError());
    return new Promise((resolve, reject) => {
      const settle = (error?: X509SourceError) => {
        clearTimeout(timer);
        this.off("update", onUpdate);
        this.off("error", onError);
        this.off("closed", onClosed);
        if (error) reject(error);
        else resolve();
      };
      const onUpdate = () => settle();
      const onError = () => {
        if (this.isFinal) settle(this.finalError());
      };
      const onClosed = () => settle(new X509SourceError("closed", "X509 source closed before it was ready"));
      const timer = setTimeout(
        () => settle(new X509SourceError("timeout", `no X509-SVID within ${timeoutMs} ms`, { cause: this.failure })),
        timeoutMs,
      );
      this.on("update", onUpdate);
      this.on("error", onError);
      this.on("closed", onClosed);
    });
  }

  finalError(): X509SourceError {
    return new X509SourceError("failed", `X509 source stopped: ${this.failure?.message ?? "unknown"}`, {
      cause: this.failure,
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.svid = undefined;
    this.emit("closed");
    await this.onClose();
  }
}

/** A source whose SVID and bundles are set by hand (tests, files). */
export function createStaticX509Source(context?: { svid: X509Svid; bundles: X509BundleSet }): MutableX509Source {
  const source = new X509SourceImpl();
  // An 'error' event with no listener would throw; static sources never emit one themselves.
  source.on("error", () => {});
  if (context) source.set(context);
  return source;
}

export interface CreateX509SourceOptions {
  /** Workload API address (`unix:///…` or `tcp://IP:port`); default $SPIFFE_ENDPOINT_SOCKET. */
  socket?: string;
  /** Use this client instead of creating one (it is not closed by the source). */
  client?: WorkloadApiClient;
  /** Choose among several SVIDs; default the first. */
  pickSvid?: SvidPicker;
  backoff?: BackoffOptions;
  /** How long createX509Source waits for the first SVID; default 30 s. 0 returns at once. */
  readyTimeoutMs?: number;
}

/**
 * Watches the Workload API and keeps the newest SVID and bundles. Resolves once the first SVID
 * arrived (see readyTimeoutMs); on failure to get one the source is closed and the error thrown.
 */
export async function createX509Source(options: CreateX509SourceOptions = {}): Promise<X509Source> {
  const ownClient = !options.client;
  const client = options.client ?? createWorkloadApiClient({ address: options.socket, backoff: options.backoff });
  const pick = options.pickSvid ?? ((svids) => svids[0]);
  const source = new X509SourceImpl();
  const abort = new AbortController();
  const watching = client
    .watchX509Context(
      {
        onUpdate: (context: X509Context) => {
          const svid = pick(context.svids);
          if (!svid) return source.fail(new InvalidSvidError("no SVID matched the picker"));
          source.set({ svid, bundles: context.bundles });
        },
        onError: (error: WorkloadApiError | InvalidSvidError) => {
          // §5.2.1: PermissionDenied means our SVIDs were taken away; stop presenting them.
          if ("code" in error && error.code === status.PERMISSION_DENIED) source.redact();
          source.fail(error);
        },
      },
      abort.signal,
    )
    .catch((error: Error) => {
      source.isFinal = true;
      source.fail(error);
    });
  source.on("error", () => {}); // errors are surfaced through waitUntilReady and to subscribers
  source.onClose = async () => {
    abort.abort();
    await watching;
    if (ownClient) client.close();
  };
  if (options.readyTimeoutMs === 0) return source;
  try {
    await source.waitUntilReady(options.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await source.close();
    throw err;
  }
  return source;
}
