// A SPIFFE Workload API server on a real grpc-js server (unix socket in a short temp dir, or
// 127.0.0.1), answering like the SPIRE agent: InvalidArgument "security header missing from
// request" without `workload.spiffe.io: true`, PermissionDenied "no identity issued" when there
// is no identity, the full state at once on every new stream and again on every change.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Server, ServerCredentials, status, type ServerWritableStream } from "@grpc/grpc-js";
import {
  SpiffeWorkloadAPI,
  X509BundlesResponseSchema,
  X509SVIDResponseSchema,
  type X509BundlesResponse,
  type X509SVIDResponse,
} from "@harbor-satellite/gen/spiffe/workload/workload_pb";
import {
  addGrpcService,
  concatDer,
  WORKLOAD_API_HEADER,
  type X509Bundle,
  type X509Svid,
} from "@harbor-satellite/spiffe";

type Stream<T> = ServerWritableStream<unknown, T>;

export interface FakeWorkloadApiOptions {
  /** Listen on tcp://127.0.0.1:<port> instead of a unix socket. */
  tcp?: boolean;
}

/** An identity for the fake to hand out: SVIDs (first is the default) and the bundles. */
export interface FakeIdentity {
  svids: X509Svid[];
  /** Our trust domain's bundle (sent in each X509SVID.bundle and in FetchX509Bundles). */
  bundle: X509Bundle;
  federated?: X509Bundle[];
}

export class FakeWorkloadApi {
  private server: Server;
  private readonly svidStreams = new Set<Stream<X509SVIDResponse>>();
  private readonly bundleStreams = new Set<Stream<X509BundlesResponse>>();
  private svidResponse: X509SVIDResponse | undefined;
  private bundlesResponse: X509BundlesResponse | undefined;
  private readonly injected: Array<{ code: status; details: string }> = [];
  /** Streams opened so far (both rpcs), including rejected ones. */
  calls = 0;

  private constructor(
    /** The address to give a client: unix:///… or tcp://127.0.0.1:<port>. */
    readonly address: string,
    private readonly bindTarget: string,
    private readonly dir: string | undefined,
  ) {
    this.server = this.build();
  }

  static async start(options: FakeWorkloadApiOptions = {}): Promise<FakeWorkloadApi> {
    if (options.tcp) {
      const fake = new FakeWorkloadApi("", "127.0.0.1:0", undefined);
      const port = await fake.bind();
      (fake as { address: string }).address = `tcp://127.0.0.1:${port}`;
      return fake;
    }
    // Short dir: sun_path holds at most 107 bytes.
    const dir = await mkdtemp(join(tmpdir(), "wl-"));
    const socket = join(dir, "agent.sock");
    const fake = new FakeWorkloadApi(`unix://${socket}`, `unix://${socket}`, dir);
    await fake.bind();
    return fake;
  }

  /** Hands out this identity and pushes it to every open stream (a rotation when one was set). */
  setIdentity(identity: FakeIdentity): void {
    this.setX509SvidResponse(
      create(X509SVIDResponseSchema, {
        svids: identity.svids.map((svid) => ({
          spiffeId: svid.id.toString(),
          x509Svid: concatDer(svid.certificates),
          x509SvidKey: svid.privateKey.export({ type: "pkcs8", format: "der" }),
          bundle: concatDer(identity.bundle.authorities),
          hint: svid.hint,
        })),
        federatedBundles: Object.fromEntries(
          (identity.federated ?? []).map((b) => [b.trustDomain.idString(), concatDer(b.authorities)]),
        ),
      }),
    );
    const all = [identity.bundle, ...(identity.federated ?? [])];
    this.setX509BundlesResponse(
      create(X509BundlesResponseSchema, {
        bundles: Object.fromEntries(all.map((b) => [b.trustDomain.idString(), concatDer(b.authorities)])),
      }),
    );
  }

  /** Rotation: a new SVID (same bundles unless given) pushed to open streams. */
  rotate(identity: FakeIdentity): void {
    this.setIdentity(identity);
  }

  /** Sets the raw response (to send malformed ones); undefined = no identity. */
  setX509SvidResponse(response: X509SVIDResponse | undefined): void {
    this.svidResponse = response;
    for (const stream of this.svidStreams) this.sendSvid(stream);
  }

  setX509BundlesResponse(response: X509BundlesResponse | undefined): void {
    this.bundlesResponse = response;
    for (const stream of this.bundleStreams) this.sendBundles(stream);
  }

  /** Takes the identity away: open streams end with PermissionDenied, like the agent. */
  clearIdentity(): void {
    this.setX509SvidResponse(undefined);
    this.setX509BundlesResponse(undefined);
  }

  /** The next `times` calls fail at once with `code`. */
  failNext(code: status, details = "injected failure", times = 1): void {
    for (let i = 0; i < times; i++) this.injected.push({ code, details });
  }

  /** Ends every open stream with `code` (an agent going away mid-stream). */
  dropStreams(code: status = status.UNAVAILABLE, details = "agent is shutting down"): void {
    for (const stream of [...this.svidStreams, ...this.bundleStreams]) stream.emit("error", { code, details });
    this.svidStreams.clear();
    this.bundleStreams.clear();
  }

  /** Open FetchX509SVID streams right now. */
  get openSvidStreams(): number {
    return this.svidStreams.size;
  }

  /** Stops serving, keeping the socket path, as an agent restart would. */
  async pause(): Promise<void> {
    this.dropStreams();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }

  /** Serves again on the same address after pause(). */
  async resume(): Promise<void> {
    this.server = this.build();
    await this.bind();
  }

  async stop(): Promise<void> {
    this.dropStreams();
    this.server.forceShutdown();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  private build(): Server {
    const server = new Server();
    addGrpcService(server, SpiffeWorkloadAPI, {
      fetchX509SVID: (call) => this.open(call, this.svidStreams, (s) => this.sendSvid(s)),
      fetchX509Bundles: (call) => this.open(call, this.bundleStreams, (s) => this.sendBundles(s)),
    });
    return server;
  }

  private bind(): Promise<number> {
    const target = this.address.startsWith("tcp://") ? this.address.slice("tcp://".length) : this.bindTarget;
    return new Promise((resolve, reject) => {
      this.server.bindAsync(target, ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      );
    });
  }

  private open<T>(call: Stream<T>, streams: Set<Stream<T>>, send: (s: Stream<T>) => void): void {
    this.calls++;
    const header = call.metadata.get(WORKLOAD_API_HEADER);
    if (header.length !== 1 || header[0] !== "true") {
      call.emit("error", { code: status.INVALID_ARGUMENT, details: "security header missing from request" });
      return;
    }
    const injected = this.injected.shift();
    if (injected) {
      call.emit("error", injected);
      return;
    }
    streams.add(call);
    call.on("cancelled", () => streams.delete(call));
    send(call);
  }

  private sendSvid(stream: Stream<X509SVIDResponse>): void {
    if (this.svidResponse) stream.write(this.svidResponse);
    else this.deny(stream, this.svidStreams);
  }

  private sendBundles(stream: Stream<X509BundlesResponse>): void {
    if (this.bundlesResponse) stream.write(this.bundlesResponse);
    else this.deny(stream, this.bundleStreams);
  }

  private deny<T>(stream: Stream<T>, streams: Set<Stream<T>>): void {
    streams.delete(stream);
    stream.emit("error", { code: status.PERMISSION_DENIED, details: "no identity issued" });
  }
}
