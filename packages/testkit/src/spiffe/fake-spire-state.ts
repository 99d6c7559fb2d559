// The data and rules behind the fake SPIRE server, kept apart from the gRPC wiring. Behaviours
// follow SPIRE's server (pkg/server/api/entry, agent/v1, idutil): entry IDs must be workload IDs
// of our trust domain outside the reserved /spire namespace, selectors must be well formed, a
// similar entry (same SPIFFE ID, parent and selector set) answers ALREADY_EXISTS with the existing
// entry, join tokens need ttl > 0 and are consumed once by agent attestation.
import { randomUUID } from "node:crypto";
import { clone, create } from "@bufbuild/protobuf";
import { status } from "@grpc/grpc-js";
import { AgentSchema, type Agent } from "@harbor-satellite/gen/spire/api/types/agent_pb";
import { EntrySchema, type Entry, type EntryMask } from "@harbor-satellite/gen/spire/api/types/entry_pb";
import {
  SelectorMatch_MatchBehavior,
  type Selector,
  type SelectorMatch,
} from "@harbor-satellite/gen/spire/api/types/selector_pb";
import type { SPIFFEID } from "@harbor-satellite/gen/spire/api/types/spiffeid_pb";
import { SpiffeId, type TrustDomain } from "@harbor-satellite/spiffe";

/** A per-item outcome: google.rpc code and message, like spire.api.types.Status. */
export interface ItemStatus {
  code: number;
  message: string;
}

/** Thrown for rpc-level failures; the server maps it to a gRPC status. */
export class FakeSpireError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Why a simulated agent attestation failed. */
export class AttestationError extends Error {
  override readonly name = "AttestationError";
  constructor(
    readonly reason: "unknown-token" | "expired-token",
    message: string,
  ) {
    super(message);
  }
}

export interface StoredJoinToken {
  value: string;
  expiresAt: Date;
}

export class FakeSpireState {
  readonly entries = new Map<string, Entry>();
  readonly agents = new Map<string, Agent>();
  readonly joinTokens = new Map<string, StoredJoinToken>();

  constructor(
    readonly trustDomain: TrustDomain,
    private readonly now: () => number,
  ) {}

  createEntry(input: Entry): { status: ItemStatus; entry?: Entry } {
    const invalid = this.validateEntry(input);
    if (invalid) return { status: { code: status.INVALID_ARGUMENT, message: `failed to convert entry: ${invalid}` } };
    const similar = [...this.entries.values()].find((e) => isSimilar(e, input));
    if (similar)
      return { status: { code: status.ALREADY_EXISTS, message: "similar entry already exists" }, entry: similar };
    if (input.id !== "" && this.entries.has(input.id)) {
      return { status: { code: status.ALREADY_EXISTS, message: "entry with this id already exists" } };
    }
    const entry = clone(EntrySchema, input);
    entry.id = input.id || randomUUID();
    entry.createdAt = BigInt(Math.floor(this.now() / 1000));
    entry.revisionNumber = 0n;
    this.entries.set(entry.id, entry);
    return { status: { code: status.OK, message: "OK" }, entry };
  }

  deleteEntry(id: string): ItemStatus {
    if (!this.entries.delete(id)) return { code: status.NOT_FOUND, message: "entry not found" };
    return { code: status.OK, message: "OK" };
  }

  listEntries(filter: {
    bySpiffeId?: SPIFFEID;
    byParentId?: SPIFFEID;
    bySelectors?: SelectorMatch;
    byHint?: string;
  }): Entry[] {
    return [...this.entries.values()].filter(
      (e) =>
        (!filter.bySpiffeId || sameId(e.spiffeId, filter.bySpiffeId)) &&
        (!filter.byParentId || sameId(e.parentId, filter.byParentId)) &&
        (!filter.bySelectors || selectorsMatch(e.selectors, filter.bySelectors)) &&
        (filter.byHint === undefined || e.hint === filter.byHint),
    );
  }

  /** CreateJoinToken: validates, stores the token and, with agent_id, the alias entry. */
  createJoinToken(request: { ttl: number; token: string; agentId?: SPIFFEID }): StoredJoinToken {
    if (request.ttl < 1) throw new FakeSpireError(status.INVALID_ARGUMENT, "ttl is required, you must provide one");
    if (request.agentId) {
      const invalid = this.validateWorkloadId(request.agentId);
      if (invalid) throw new FakeSpireError(status.INVALID_ARGUMENT, `invalid agent ID: ${invalid}`);
    }
    const value = request.token || randomUUID();
    if (this.joinTokens.has(value))
      throw new FakeSpireError(status.INTERNAL, "failed to create token: token already exists");
    const token = { value, expiresAt: new Date(this.now() + request.ttl * 1000) };
    this.joinTokens.set(value, token);
    if (request.agentId) {
      const tokenAgentId = this.joinTokenAgentId(value).toString();
      const [trustDomain, path] = splitId(tokenAgentId);
      this.createEntry(
        create(EntrySchema, {
          parentId: { trustDomain, path },
          spiffeId: request.agentId,
          selectors: [{ type: "spiffe_id", value: tokenAgentId }],
        }),
      );
    }
    return token;
  }

  /** What a SPIRE agent's join_token attestation does: consume the token once, become an agent. */
  attestWithJoinToken(value: string, svid: { serialNumber: string; expiresAt: Date }): Agent {
    const token = this.joinTokens.get(value);
    if (!token) throw new AttestationError("unknown-token", "join token does not exist or has already been used");
    this.joinTokens.delete(value);
    if (token.expiresAt.getTime() <= this.now()) throw new AttestationError("expired-token", "join token expired");
    const [trustDomain, path] = splitId(this.joinTokenAgentId(value).toString());
    const agent = create(AgentSchema, {
      id: { trustDomain, path },
      attestationType: "join_token",
      x509svidSerialNumber: svid.serialNumber,
      x509svidExpiresAt: BigInt(Math.floor(svid.expiresAt.getTime() / 1000)),
      canReattest: false,
    });
    this.agents.set(`${trustDomain}${path}`, agent);
    return agent;
  }

  addAgent(agent: Agent): void {
    this.agents.set(`${agent.id?.trustDomain}${agent.id?.path}`, agent);
  }

  listAgents(filter: {
    byAttestationType: string;
    bySelectorMatch?: SelectorMatch;
    byBanned?: boolean;
    byCanReattest?: boolean;
  }): Agent[] {
    return [...this.agents.values()].filter(
      (a) =>
        (filter.byAttestationType === "" || a.attestationType === filter.byAttestationType) &&
        (!filter.bySelectorMatch || selectorsMatch(a.selectors, filter.bySelectorMatch)) &&
        (filter.byBanned === undefined || a.banned === filter.byBanned) &&
        (filter.byCanReattest === undefined || a.canReattest === filter.byCanReattest),
    );
  }

  joinTokenAgentId(token: string): SpiffeId {
    return SpiffeId.fromSegments(this.trustDomain, "spire", "agent", "join_token", token);
  }

  private validateEntry(entry: Entry): string | undefined {
    if (!entry.parentId) return "invalid parent ID: request must specify SPIFFE ID";
    const parent = this.memberId(entry.parentId);
    if (typeof parent === "string") return `invalid parent ID: ${parent}`;
    if (parent.path === "") return "invalid parent ID: path cannot be empty";
    if (!entry.spiffeId) return "invalid spiffe ID: request must specify SPIFFE ID";
    const invalidId = this.validateWorkloadId(entry.spiffeId);
    if (invalidId) return `invalid spiffe ID: ${invalidId}`;
    if (entry.selectors.length === 0) return "selector list is empty";
    for (const s of entry.selectors) {
      if (s.type === "") return "missing selector type";
      if (s.type.includes(":")) return "selector type contains ':'";
      if (s.value === "") return "missing selector value";
    }
    return undefined;
  }

  /** idutil: a member of our trust domain with a non-empty path outside /spire. */
  private validateWorkloadId(id: SPIFFEID): string | undefined {
    const parsed = this.memberId(id);
    if (typeof parsed === "string") return parsed;
    if (parsed.path === "") return "path cannot be empty";
    if (parsed.path === "/spire" || parsed.path.startsWith("/spire/"))
      return `invalid path: "/spire/*" namespace is reserved`;
    return undefined;
  }

  private memberId(id: SPIFFEID): SpiffeId | string {
    let parsed: SpiffeId;
    try {
      parsed = SpiffeId.parse(`spiffe://${id.trustDomain}${id.path}`);
    } catch (err) {
      return (err as Error).message;
    }
    if (!parsed.memberOf(this.trustDomain))
      return `"${parsed.toString()}" is not a member of trust domain "${this.trustDomain.name}"`;
    return parsed;
  }
}

/** Applies an output mask: fields the mask leaves false come back as defaults (id always kept). */
export function maskEntry(entry: Entry, mask: EntryMask | undefined): Entry {
  if (!mask) return entry;
  const out = clone(EntrySchema, entry);
  const defaults = create(EntrySchema) as unknown as Record<string, unknown>;
  for (const [field, keep] of Object.entries(mask)) {
    if (field.startsWith("$") || keep) continue;
    (out as unknown as Record<string, unknown>)[field] = defaults[field];
  }
  return out;
}

function isSimilar(a: Entry, b: Entry): boolean {
  return (
    sameId(a.spiffeId, b.spiffeId) &&
    sameId(a.parentId, b.parentId) &&
    selectorKey(a.selectors) === selectorKey(b.selectors)
  );
}

function sameId(a: SPIFFEID | undefined, b: SPIFFEID | undefined): boolean {
  return a?.trustDomain === b?.trustDomain && a?.path === b?.path;
}

function selectorKey(selectors: readonly Selector[]): string {
  return [...new Set(selectors.map((s) => `${s.type}:${s.value}`))].sort().join("\n");
}

/** SelectorMatch semantics: how the item's selectors relate to the filter's. */
function selectorsMatch(itemSelectors: readonly Selector[], match: SelectorMatch): boolean {
  const item = new Set(itemSelectors.map((s) => `${s.type}:${s.value}`));
  const wanted = new Set(match.selectors.map((s) => `${s.type}:${s.value}`));
  const itemInWanted = [...item].every((s) => wanted.has(s));
  const wantedInItem = [...wanted].every((s) => item.has(s));
  switch (match.match) {
    case SelectorMatch_MatchBehavior.MATCH_EXACT:
      return itemInWanted && wantedInItem;
    case SelectorMatch_MatchBehavior.MATCH_SUBSET:
      return itemInWanted;
    case SelectorMatch_MatchBehavior.MATCH_SUPERSET:
      return wantedInItem;
    case SelectorMatch_MatchBehavior.MATCH_ANY:
      return [...wanted].some((s) => item.has(s));
    default:
      return false;
  }
}

function splitId(id: string): [string, string] {
  const parsed = SpiffeId.parse(id);
  return [parsed.trustDomain.name, parsed.path];
}
