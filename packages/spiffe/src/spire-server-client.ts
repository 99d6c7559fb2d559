// SPIRE Server API client over the server's admin unix socket (plain gRPC; callers on it are
// "local", which SPIRE's policy treats as admin for the entry and join-token rpcs). Batch rpcs
// answer OK overall with a Status per item, so every item's code is checked here. Registration
// is idempotent: ALREADY_EXISTS yields the existing entry (from the result, else via ListEntries).
import { X509Certificate } from "node:crypto";
import { Client, Metadata, credentials, status, type ServiceError } from "@grpc/grpc-js";
import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { Agent as AgentService } from "@harbor-satellite/gen/spire/api/server/agent/v1/agent_pb";
import { Bundle as BundleService } from "@harbor-satellite/gen/spire/api/server/bundle/v1/bundle_pb";
import { Entry as EntryService } from "@harbor-satellite/gen/spire/api/server/entry/v1/entry_pb";
import { SelectorMatch_MatchBehavior } from "@harbor-satellite/gen/spire/api/types/selector_pb";
import { SpireServerError } from "./errors.js";
import { callUnary, type TypedMethod } from "./grpc-bridge.js";
import { TrustDomain, type SpiffeId } from "./spiffe-id.js";
import {
  fromProtoAgent,
  fromProtoEntry,
  fromUnixSeconds,
  toProtoEntry,
  toProtoId,
  toSelector,
  type EntrySpec,
  type SpireAgent,
  type SpireEntry,
  type SpireSelector,
} from "./spire-types.js";
import { X509Bundle } from "./x509-bundle.js";

export const SPIRE_SERVER_SOCKET_ENV = "SPIRE_SERVER_SOCKET";
export const DEFAULT_SPIRE_SERVER_SOCKET = "/tmp/spire-server/private/api.sock";
const ALREADY_EXISTS = status.ALREADY_EXISTS;

export interface SpireServerClientOptions {
  /** Socket path or unix:// URI; default $SPIRE_SERVER_SOCKET, else /tmp/spire-server/private/api.sock. */
  socket?: string;
  env?: NodeJS.ProcessEnv;
  /** Per-call deadline; default 10 s. */
  timeoutMs?: number;
}

/** How listed items' selectors must relate to the given ones (SelectorMatch.MatchBehavior). */
export type SelectorMatchMode = "exact" | "subset" | "superset" | "any";

export interface ListEntriesFilter {
  bySpiffeId?: SpiffeId | string;
  byParentId?: SpiffeId | string;
  bySelectors?: { selectors: Array<SpireSelector | string>; match?: SelectorMatchMode };
  byHint?: string;
}

export interface ListAgentsFilter {
  byAttestationType?: string;
  bySelectorMatch?: { selectors: Array<SpireSelector | string>; match?: SelectorMatchMode };
  byBanned?: boolean;
  byCanReattest?: boolean;
}

/** One BatchCreateEntry item's outcome. `code` is the item's google.rpc code (0 OK, 6 exists). */
export interface CreateEntryResult {
  code: number;
  message: string;
  entry?: SpireEntry;
}

export interface DeleteEntryResult {
  id: string;
  code: number;
  message: string;
}

export interface JoinToken {
  value: string;
  expiresAt: Date;
}

export interface SpireBundle {
  trustDomain: TrustDomain;
  x509: X509Bundle;
  refreshHintSeconds: number;
  sequenceNumber: bigint;
}

const MATCH: Record<SelectorMatchMode, SelectorMatch_MatchBehavior> = {
  exact: SelectorMatch_MatchBehavior.MATCH_EXACT,
  subset: SelectorMatch_MatchBehavior.MATCH_SUBSET,
  superset: SelectorMatch_MatchBehavior.MATCH_SUPERSET,
  any: SelectorMatch_MatchBehavior.MATCH_ANY,
};

export class SpireServerClient {
  readonly target: string;
  private readonly client: Client;
  private readonly timeoutMs: number;

  constructor(options: SpireServerClientOptions = {}) {
    const socket =
      options.socket ?? (options.env ?? process.env)[SPIRE_SERVER_SOCKET_ENV] ?? DEFAULT_SPIRE_SERVER_SOCKET;
    this.target = socket.startsWith("unix:") ? socket : `unix://${socket}`;
    this.client = new Client(this.target, credentials.createInsecure());
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Creates entries; one result per spec, in order, each with its own status (never throws per item). */
  async batchCreateEntry(specs: EntrySpec[]): Promise<CreateEntryResult[]> {
    const response = await this.call(EntryService.method.batchCreateEntry, { entries: specs.map(toProtoEntry) });
    return response.results.map((r) => ({
      code: r.status?.code ?? 0,
      message: r.status?.message ?? "",
      ...(r.entry?.id ? { entry: fromProtoEntry(r.entry) } : {}),
    }));
  }

  /**
   * Ensures an entry exists: creates it, or on ALREADY_EXISTS returns the existing one (`created`
   * false). Any other item status throws SpireServerError with that code.
   */
  async createEntry(spec: EntrySpec): Promise<{ entry: SpireEntry; created: boolean }> {
    const [result] = await this.batchCreateEntry([spec]);
    if (!result) throw new SpireServerError(status.INTERNAL, "SPIRE Server BatchCreateEntry returned no result");
    if (result.code === 0 && result.entry) return { entry: result.entry, created: true };
    if (result.code !== ALREADY_EXISTS) {
      throw new SpireServerError(
        result.code,
        `SPIRE Server BatchCreateEntry: ${codeName(result.code)}: ${result.message}`,
        0,
      );
    }
    const existing = result.entry ?? (await this.findSimilarEntry(spec));
    if (!existing) {
      throw new SpireServerError(
        ALREADY_EXISTS,
        `SPIRE Server reports ${String(spec.spiffeId)} exists but it cannot be listed`,
        0,
      );
    }
    return { entry: existing, created: false };
  }

  /** Every entry matching the filter (follows next_page_token). */
  async listEntries(filter: ListEntriesFilter = {}, pageSize = 500): Promise<SpireEntry[]> {
    const protoFilter = {
      ...(filter.bySpiffeId ? { bySpiffeId: toProtoId(filter.bySpiffeId) } : {}),
      ...(filter.byParentId ? { byParentId: toProtoId(filter.byParentId) } : {}),
      ...(filter.bySelectors ? { bySelectors: selectorMatch(filter.bySelectors) } : {}),
      ...(filter.byHint !== undefined ? { byHint: filter.byHint } : {}),
    };
    const out: SpireEntry[] = [];
    let pageToken = "";
    do {
      const page = await this.call(EntryService.method.listEntries, { filter: protoFilter, pageSize, pageToken });
      out.push(...page.entries.map(fromProtoEntry));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return out;
  }

  /** Deletes entries by id; one result per id (5 NOT_FOUND for unknown ids). */
  async batchDeleteEntry(ids: string[]): Promise<DeleteEntryResult[]> {
    const response = await this.call(EntryService.method.batchDeleteEntry, { ids });
    return response.results.map((r) => ({ id: r.id, code: r.status?.code ?? 0, message: r.status?.message ?? "" }));
  }

  /** Deletes one entry; false when it did not exist, throws on any other failure. */
  async deleteEntry(id: string): Promise<boolean> {
    const [result] = await this.batchDeleteEntry([id]);
    if (!result || result.code === 0) return true;
    if (result.code === status.NOT_FOUND) return false;
    throw new SpireServerError(
      result.code,
      `SPIRE Server BatchDeleteEntry: ${codeName(result.code)}: ${result.message}`,
      0,
    );
  }

  /**
   * A single-use join token living `ttl` seconds. With `agentId` SPIRE also registers an alias
   * entry so the attested agent is known by that ID (spiffe://<td>/spire/agent/join_token/<token>
   * otherwise).
   */
  async createJoinToken(options: { ttl: number; agentId?: SpiffeId | string; token?: string }): Promise<JoinToken> {
    const response = await this.call(AgentService.method.createJoinToken, {
      ttl: options.ttl,
      token: options.token ?? "",
      ...(options.agentId ? { agentId: toProtoId(options.agentId) } : {}),
    });
    return { value: response.value, expiresAt: fromUnixSeconds(response.expiresAt) };
  }

  /** Every attested agent matching the filter (follows next_page_token). */
  async listAgents(filter: ListAgentsFilter = {}, pageSize = 500): Promise<SpireAgent[]> {
    const protoFilter = {
      byAttestationType: filter.byAttestationType ?? "",
      ...(filter.bySelectorMatch ? { bySelectorMatch: selectorMatch(filter.bySelectorMatch) } : {}),
      ...(filter.byBanned !== undefined ? { byBanned: filter.byBanned } : {}),
      ...(filter.byCanReattest !== undefined ? { byCanReattest: filter.byCanReattest } : {}),
    };
    const out: SpireAgent[] = [];
    let pageToken = "";
    do {
      const page = await this.call(AgentService.method.listAgents, { filter: protoFilter, pageSize, pageToken });
      out.push(...page.agents.map(fromProtoAgent));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return out;
  }

  /** The server's trust domain and its X.509 authorities (one DER certificate each). */
  async getBundle(): Promise<SpireBundle> {
    const bundle = await this.call(BundleService.method.getBundle, {});
    const trustDomain = TrustDomain.parse(bundle.trustDomain);
    const authorities = bundle.x509Authorities.map((a) => new X509Certificate(a.asn1));
    return {
      trustDomain,
      x509: new X509Bundle(trustDomain, authorities),
      refreshHintSeconds: Number(bundle.refreshHint),
      sequenceNumber: bundle.sequenceNumber,
    };
  }

  close(): void {
    this.client.close();
  }

  /** ALREADY_EXISTS without the entry: find it by SPIFFE ID and parent, same selector set. */
  private async findSimilarEntry(spec: EntrySpec): Promise<SpireEntry | undefined> {
    const wanted = selectorKey(spec.selectors.map(toSelector));
    const candidates = await this.listEntries({ bySpiffeId: spec.spiffeId, byParentId: spec.parentId });
    return candidates.find((e) => selectorKey(e.selectors) === wanted) ?? candidates[0];
  }

  private async call<I extends DescMessage, O extends DescMessage>(
    method: TypedMethod<I, O>,
    request: MessageInitShape<I>,
  ): Promise<MessageShape<O>> {
    try {
      return await callUnary(this.client, method, request, {
        metadata: new Metadata(),
        deadline: new Date(Date.now() + this.timeoutMs),
      });
    } catch (err) {
      const e = err as ServiceError;
      throw new SpireServerError(
        e.code ?? status.UNKNOWN,
        `SPIRE Server ${method.name}: ${codeName(e.code)}: ${e.details || e.message}`,
        undefined,
        {
          cause: err,
        },
      );
    }
  }
}

/** A client for the given socket, $SPIRE_SERVER_SOCKET or SPIRE's default admin socket. */
export function createSpireServerClient(options: SpireServerClientOptions = {}): SpireServerClient {
  return new SpireServerClient(options);
}

function selectorMatch(m: { selectors: Array<SpireSelector | string>; match?: SelectorMatchMode }) {
  return { selectors: m.selectors.map(toSelector), match: MATCH[m.match ?? "exact"] };
}

function selectorKey(selectors: SpireSelector[]): string {
  return selectors
    .map((s) => `${s.type}:${s.value}`)
    .sort()
    .join("\n");
}

function codeName(code: number | undefined): string {
  return code === undefined ? "UNKNOWN" : (status[code] ?? String(code));
}
