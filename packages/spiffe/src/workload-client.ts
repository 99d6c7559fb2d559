// SPIFFE Workload API client on grpc-js. Every call carries `workload.spiffe.io: true`
// (SPIFFE_Workload_Endpoint.md §3). Watches follow the endpoint's error table (Appendix A) as
// go-spiffe does: InvalidArgument, Unimplemented and Canceled are final; anything else
// (Unavailable, PermissionDenied, the agent going away) is retried with the repository's one
// backoff (@harbor-satellite/retry: full jitter under min(30 s, 1 s·2^(n-1)); go-spiffe's is
// linear, 1 s + 1 s per attempt) whose failure count resets on every message. Each message is the full state and replaces the previous one.
// Canceled: go-spiffe stops on it because in Go it only means "the caller cancelled"; we stop when
// our own signal aborted, but grpc-js also reports a server hard-closing a stream (RST_STREAM
// CANCEL, e.g. an agent being killed) as CANCELLED, and that one is retried like Unavailable.
import { Client, Metadata, credentials, status, type ServiceError } from "@grpc/grpc-js";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { SpiffeWorkloadAPI } from "@harbor-satellite/gen/spiffe/workload/workload_pb";
import { delayFor, retryPolicy, sleep, type BackoffOptions, type RetryPolicy } from "@harbor-satellite/retry";
import { InvalidSvidError, WorkloadApiError } from "./errors.js";
import { callServerStream, type TypedMethod } from "./grpc-bridge.js";
import { resolveWorkloadEndpoint, workloadEndpointTarget } from "./workload-address.js";
import type { X509BundleSet } from "./x509-bundle.js";
import { parseX509BundlesResponse, parseX509SvidResponse, type X509Context } from "./x509-context.js";

/** The metadata key every Workload API request must carry, with value "true". */
export const WORKLOAD_API_HEADER = "workload.spiffe.io";

/** Codes after which retrying cannot help: the client is broken (Appendix A: report, don't retry). */
const FINAL_CODES: ReadonlySet<number> = new Set([status.INVALID_ARGUMENT, status.UNIMPLEMENTED]);

export interface WorkloadApiClientOptions {
  /** `unix:///abs/path` or `tcp://IP:port`; default $SPIFFE_ENDPOINT_SOCKET. */
  address?: string;
  /** Where to read SPIFFE_ENDPOINT_SOCKET; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Reconnect delays for watches (and for grpc-js's own reconnects). */
  backoff?: BackoffOptions;
}

/** Receives every update of a watch, and every failure it recovers from. */
export interface WorkloadWatcher<T> {
  onUpdate(value: T): void;
  /** A failed attempt (WorkloadApiError) or an unusable message (InvalidSvidError, discarded). */
  onError?(error: WorkloadApiError | InvalidSvidError): void;
}

export class WorkloadApiClient {
  /** The grpc-js target derived from the address. */
  readonly target: string;
  private readonly client: Client;
  private readonly backoff: RetryPolicy;

  constructor(options: WorkloadApiClientOptions = {}) {
    this.target = workloadEndpointTarget(resolveWorkloadEndpoint(options.address, options.env));
    this.backoff = retryPolicy({ baseMs: 1_000, capMs: 30_000, ...options.backoff });
    // grpc-js fails calls fast while its channel backs off from a failed connect; keep its backoff
    // no longer than ours so a restarted agent is picked up on our schedule.
    this.client = new Client(this.target, credentials.createInsecure(), {
      "grpc.initial_reconnect_backoff_ms": this.backoff.baseMs,
      "grpc.max_reconnect_backoff_ms": this.backoff.capMs,
    });
  }

  /** The first X509SVIDResponse of a stream: our SVIDs and bundles now. */
  fetchX509Context(signal?: AbortSignal): Promise<X509Context> {
    return this.fetchFirst(SpiffeWorkloadAPI.method.fetchX509SVID, parseX509SvidResponse, signal);
  }

  /** The first X509BundlesResponse of a stream. */
  fetchX509Bundles(signal?: AbortSignal): Promise<X509BundleSet> {
    return this.fetchFirst(SpiffeWorkloadAPI.method.fetchX509Bundles, parseX509BundlesResponse, signal);
  }

  /**
   * Streams X509 contexts until `signal` aborts (then resolves) or a final error (then rejects
   * with WorkloadApiError). Reconnects with backoff on anything else.
   */
  watchX509Context(watcher: WorkloadWatcher<X509Context>, signal: AbortSignal): Promise<void> {
    return this.watch(SpiffeWorkloadAPI.method.fetchX509SVID, parseX509SvidResponse, watcher, signal);
  }

  /** Streams bundle sets like watchX509Context. */
  watchX509Bundles(watcher: WorkloadWatcher<X509BundleSet>, signal: AbortSignal): Promise<void> {
    return this.watch(SpiffeWorkloadAPI.method.fetchX509Bundles, parseX509BundlesResponse, watcher, signal);
  }

  close(): void {
    this.client.close();
  }

  private metadata(): Metadata {
    const md = new Metadata();
    md.set(WORKLOAD_API_HEADER, "true");
    return md;
  }

  private async watch<I extends DescMessage, O extends DescMessage, T>(
    method: TypedMethod<I, O>,
    parse: (message: MessageShape<O>) => T,
    watcher: WorkloadWatcher<T>,
    signal: AbortSignal,
  ): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const ended = await this.streamOnce(method, signal, (message) => {
        failures = 0;
        let value: T;
        try {
          value = parse(message);
        } catch (err) {
          // §4.5: report and discard an unusable message; the stream stays open.
          watcher.onError?.(asInvalid(err));
          return;
        }
        watcher.onUpdate(value);
      });
      if (signal.aborted) return;
      const error = toWorkloadApiError(method, ended);
      watcher.onError?.(error);
      if (FINAL_CODES.has(error.code)) throw error;
      if (
        !(await sleep(delayFor(this.backoff, ++failures), signal).then(
          () => true,
          () => false,
        ))
      )
        return;
    }
  }

  /** Runs one stream; resolves with its terminal error, or null when the server ended it cleanly. */
  private streamOnce<I extends DescMessage, O extends DescMessage>(
    method: TypedMethod<I, O>,
    signal: AbortSignal,
    onMessage: (message: MessageShape<O>) => void,
  ): Promise<ServiceError | null> {
    return new Promise((resolve) => {
      const call = callServerStream(this.client, method, {} as never, this.metadata());
      const cancel = () => call.cancel();
      let settled = false;
      const settle = (err: ServiceError | null) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", cancel);
        resolve(err);
      };
      signal.addEventListener("abort", cancel, { once: true });
      call.on("data", onMessage);
      call.on("error", (err: ServiceError) => settle(err));
      call.on("end", () => settle(null));
    });
  }

  private fetchFirst<I extends DescMessage, O extends DescMessage, T>(
    method: TypedMethod<I, O>,
    parse: (message: MessageShape<O>) => T,
    signal?: AbortSignal,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const call = callServerStream(this.client, method, {} as never, this.metadata());
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        signal?.removeEventListener("abort", cancel);
        fn();
      };
      const cancel = () => call.cancel();
      if (signal?.aborted) call.cancel();
      else signal?.addEventListener("abort", cancel, { once: true });
      call.on("data", (message: MessageShape<O>) => {
        finish(() => {
          try {
            resolve(parse(message));
          } catch (err) {
            reject(asInvalid(err));
          }
        });
        call.cancel();
      });
      call.on("error", (err: ServiceError) => finish(() => reject(toWorkloadApiError(method, err))));
      call.on("end", () => finish(() => reject(toWorkloadApiError(method, null))));
    });
  }
}

/** A client for the explicit address or $SPIFFE_ENDPOINT_SOCKET. */
export function createWorkloadApiClient(options: WorkloadApiClientOptions = {}): WorkloadApiClient {
  return new WorkloadApiClient(options);
}

function toWorkloadApiError(method: { name: string }, err: ServiceError | null): WorkloadApiError {
  if (!err) return new WorkloadApiError(status.UNAVAILABLE, `Workload API ${method.name}: stream ended by the server`);
  const codeName = status[err.code] ?? String(err.code);
  return new WorkloadApiError(err.code, `Workload API ${method.name}: ${codeName}: ${err.details || err.message}`, {
    cause: err,
  });
}

function asInvalid(err: unknown): InvalidSvidError {
  return err instanceof InvalidSvidError ? err : new InvalidSvidError("unusable Workload API response", { cause: err });
}
