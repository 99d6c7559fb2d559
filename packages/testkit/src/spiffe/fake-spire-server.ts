// A SPIRE Server API server (entry/agent/bundle subset) on a real grpc-js server listening on a
// unix socket in a short temp dir, like SPIRE's admin socket. Batch rpcs answer OK with a Status
// per item; GetBundle returns the test CA as DER authorities. attestAgent() plays the SPIRE agent
// consuming a join token, so tests can check single use and expiry.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Server, ServerCredentials, status } from "@grpc/grpc-js";
import { Agent as AgentService } from "@harbor-satellite/gen/spire/api/server/agent/v1/agent_pb";
import { Bundle as BundleService } from "@harbor-satellite/gen/spire/api/server/bundle/v1/bundle_pb";
import { Entry as EntryService } from "@harbor-satellite/gen/spire/api/server/entry/v1/entry_pb";
import { BundleSchema } from "@harbor-satellite/gen/spire/api/types/bundle_pb";
import { JoinTokenSchema } from "@harbor-satellite/gen/spire/api/types/jointoken_pb";
import type { Agent } from "@harbor-satellite/gen/spire/api/types/agent_pb";
import { addGrpcService, TrustDomain, type GrpcUnaryHandler, type SpiffeId } from "@harbor-satellite/spiffe";
import { FakeSpireError, FakeSpireState, maskEntry } from "./fake-spire-state.js";
import { TestCA } from "./test-ca.js";

export interface FakeSpireServerOptions {
  /** Default "example.org". */
  trustDomain?: string;
  /** Use this CA for GetBundle and agent SVIDs; default a fresh one for the trust domain. */
  ca?: TestCA;
  /** Clock in ms, for join-token expiry; default Date.now. */
  now?: () => number;
  /** Answer ALREADY_EXISTS without the existing entry (as a client must also cope with). */
  omitExistingEntry?: boolean;
}

/** The rpc names (as in the proto) that failNext can target. */
export type FakeSpireRpc =
  "ListEntries" | "BatchCreateEntry" | "BatchDeleteEntry" | "CreateJoinToken" | "ListAgents" | "GetBundle";

export class FakeSpireServer {
  private readonly injected = new Map<FakeSpireRpc, Array<{ code: status; details: string }>>();
  /** Calls received per rpc. */
  readonly calls = new Map<FakeSpireRpc, number>();

  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    /** The admin socket's path (what SPIRE_SERVER_SOCKET holds). */
    readonly socketPath: string,
    readonly ca: TestCA,
    readonly state: FakeSpireState,
    private readonly omitExistingEntry: boolean,
  ) {}

  static async start(options: FakeSpireServerOptions = {}): Promise<FakeSpireServer> {
    const trustDomain = TrustDomain.parse(options.trustDomain ?? options.ca?.trustDomain.name ?? "example.org");
    const ca = options.ca ?? (await TestCA.create(trustDomain));
    const state = new FakeSpireState(trustDomain, options.now ?? Date.now);
    const dir = await mkdtemp(join(tmpdir(), "spire-"));
    const socketPath = join(dir, "api.sock");
    const server = new Server();
    const fake = new FakeSpireServer(server, dir, socketPath, ca, state, options.omitExistingEntry ?? false);
    fake.register();
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    return fake;
  }

  /** unix:///… form of the socket. */
  get address(): string {
    return `unix://${this.socketPath}`;
  }

  get trustDomain(): TrustDomain {
    return this.state.trustDomain;
  }

  /** The next `times` calls of `rpc` fail with `code`. */
  failNext(rpc: FakeSpireRpc, code: status, details = "injected failure", times = 1): void {
    const queue = this.injected.get(rpc) ?? [];
    for (let i = 0; i < times; i++) queue.push({ code, details });
    this.injected.set(rpc, queue);
  }

  /**
   * A SPIRE agent attesting with a join token: consumes it (once; expired tokens fail) and
   * registers the agent spiffe://<td>/spire/agent/join_token/<token> with an SVID from the CA.
   */
  async attestAgent(token: string): Promise<{ agentId: SpiffeId; agent: Agent }> {
    const agentId = this.state.joinTokenAgentId(token);
    const svid = await this.ca.issueSvid(agentId);
    const leaf = svid.certificates[0]!;
    const agent = this.state.attestWithJoinToken(token, {
      serialNumber: leaf.serialNumber,
      expiresAt: new Date(leaf.validTo),
    });
    return { agentId, agent };
  }

  async stop(): Promise<void> {
    this.server.forceShutdown();
    await rm(this.dir, { recursive: true, force: true });
  }

  private register(): void {
    const state = this.state;
    addGrpcService(this.server, EntryService, {
      listEntries: this.unary("ListEntries", (req) => {
        const all = state.listEntries({
          ...(req.filter?.bySpiffeId ? { bySpiffeId: req.filter.bySpiffeId } : {}),
          ...(req.filter?.byParentId ? { byParentId: req.filter.byParentId } : {}),
          ...(req.filter?.bySelectors ? { bySelectors: req.filter.bySelectors } : {}),
          ...(req.filter?.byHint !== undefined ? { byHint: req.filter.byHint } : {}),
        });
        const { items, next } = page(all, req.pageSize, req.pageToken);
        return { entries: items.map((e) => maskEntry(e, req.outputMask)), nextPageToken: next };
      }),
      batchCreateEntry: this.unary("BatchCreateEntry", (req) => ({
        results: req.entries.map((input) => {
          const { status: itemStatus, entry } = state.createEntry(input);
          const withEntry = entry && !(this.omitExistingEntry && itemStatus.code === status.ALREADY_EXISTS);
          return { status: itemStatus, ...(withEntry ? { entry: maskEntry(entry, req.outputMask) } : {}) };
        }),
      })),
      batchDeleteEntry: this.unary("BatchDeleteEntry", (req) => ({
        results: req.ids.map((id) => ({ id, status: state.deleteEntry(id) })),
      })),
    });
    addGrpcService(this.server, AgentService, {
      listAgents: this.unary("ListAgents", (req) => {
        const all = state.listAgents({
          byAttestationType: req.filter?.byAttestationType ?? "",
          ...(req.filter?.bySelectorMatch ? { bySelectorMatch: req.filter.bySelectorMatch } : {}),
          ...(req.filter?.byBanned !== undefined ? { byBanned: req.filter.byBanned } : {}),
          ...(req.filter?.byCanReattest !== undefined ? { byCanReattest: req.filter.byCanReattest } : {}),
        });
        const { items, next } = page(all, req.pageSize, req.pageToken);
        return { agents: items, nextPageToken: next };
      }),
      createJoinToken: this.unary("CreateJoinToken", (req) => {
        const token = state.createJoinToken({
          ttl: req.ttl,
          token: req.token,
          ...(req.agentId ? { agentId: req.agentId } : {}),
        });
        return create(JoinTokenSchema, {
          value: token.value,
          expiresAt: BigInt(Math.floor(token.expiresAt.getTime() / 1000)),
        });
      }),
    });
    addGrpcService(this.server, BundleService, {
      getBundle: this.unary("GetBundle", () =>
        create(BundleSchema, {
          trustDomain: state.trustDomain.name,
          x509Authorities: [{ asn1: this.ca.bundleDer(), tainted: false }],
          refreshHint: 300n,
          sequenceNumber: 1n,
        }),
      ),
    });
  }

  /** Wraps a handler: counts the call, applies injected failures, maps FakeSpireError to a status. */
  private unary<I extends DescMessage, O extends DescMessage>(
    rpc: FakeSpireRpc,
    handle: (request: MessageShape<I>) => MessageInitShape<O>,
  ): GrpcUnaryHandler<I, O> {
    return (call, callback) => {
      this.calls.set(rpc, (this.calls.get(rpc) ?? 0) + 1);
      const injected = this.injected.get(rpc)?.shift();
      if (injected)
        return callback({
          code: injected.code,
          details: injected.details,
          name: "injected",
          message: injected.details,
        });
      try {
        callback(null, handle(call.request));
      } catch (err) {
        const code = err instanceof FakeSpireError ? err.code : status.INTERNAL;
        callback({ code, details: (err as Error).message, name: "FakeSpireError", message: (err as Error).message });
      }
    };
  }
}

/** Offset paging with opaque-looking tokens; page size 0 = everything. */
function page<T>(all: T[], pageSize: number, pageToken: string): { items: T[]; next: string } {
  const start = pageToken === "" ? 0 : Number(Buffer.from(pageToken, "base64url").toString());
  if (!Number.isInteger(start) || start < 0) throw new FakeSpireError(status.INVALID_ARGUMENT, "could not parse token");
  if (pageSize < 0) throw new FakeSpireError(status.INVALID_ARGUMENT, "page size cannot be negative");
  const end = pageSize === 0 ? all.length : start + pageSize;
  const next = end < all.length ? Buffer.from(String(end)).toString("base64url") : "";
  return { items: all.slice(start, end), next };
}
