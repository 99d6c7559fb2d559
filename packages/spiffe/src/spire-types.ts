// Plain shapes for SPIRE Server API data and their conversions from/to the generated messages, so
// callers use SpiffeId and Date rather than {trust_domain, path} pairs and unix seconds.
import { create } from "@bufbuild/protobuf";
import { SPIFFEIDSchema, type SPIFFEID } from "@harbor-satellite/gen/spire/api/types/spiffeid_pb";
import type { Selector } from "@harbor-satellite/gen/spire/api/types/selector_pb";
import { EntrySchema, type Entry } from "@harbor-satellite/gen/spire/api/types/entry_pb";
import type { Agent } from "@harbor-satellite/gen/spire/api/types/agent_pb";
import { SpiffeIdError } from "./errors.js";
import { SpiffeId, TrustDomain } from "./spiffe-id.js";

export interface SpireSelector {
  type: string;
  value: string;
}

/** What to register. Selectors may be given as "type:value" strings (split at the first ':'). */
export interface EntrySpec {
  spiffeId: SpiffeId | string;
  parentId: SpiffeId | string;
  selectors: Array<SpireSelector | string>;
  /** X509-SVID lifetime in seconds; 0/undefined = server default. */
  x509SvidTtl?: number;
  jwtSvidTtl?: number;
  dnsNames?: string[];
  hint?: string;
  admin?: boolean;
  downstream?: boolean;
  federatesWith?: string[];
  /** When the entry itself expires. */
  expiresAt?: Date;
}

export interface SpireEntry {
  id: string;
  spiffeId: SpiffeId;
  parentId: SpiffeId;
  selectors: SpireSelector[];
  x509SvidTtl: number;
  jwtSvidTtl: number;
  dnsNames: string[];
  hint: string;
  admin: boolean;
  downstream: boolean;
  federatesWith: string[];
  expiresAt?: Date;
  createdAt?: Date;
  revisionNumber: bigint;
}

export interface SpireAgent {
  id: SpiffeId;
  attestationType: string;
  x509SvidSerialNumber: string;
  x509SvidExpiresAt?: Date;
  selectors: SpireSelector[];
  banned: boolean;
  canReattest: boolean;
  agentVersion: string;
}

/** Parses "type:value" (split at the first ':', as the Go original and the SPIRE CLI do). */
export function parseSelector(selector: string): SpireSelector {
  const colon = selector.indexOf(":");
  if (colon <= 0 || colon === selector.length - 1) {
    throw new TypeError(`selector ${JSON.stringify(selector)} must be "type:value" with both parts non-empty`);
  }
  return { type: selector.slice(0, colon), value: selector.slice(colon + 1) };
}

export function toSelector(selector: SpireSelector | string): SpireSelector {
  return typeof selector === "string" ? parseSelector(selector) : selector;
}

export function toProtoId(id: SpiffeId | string): SPIFFEID {
  const parsed = typeof id === "string" ? SpiffeId.parse(id) : id;
  return create(SPIFFEIDSchema, { trustDomain: parsed.trustDomain.name, path: parsed.path });
}

export function fromProtoId(id: SPIFFEID | undefined): SpiffeId {
  if (!id) throw new SpiffeIdError("empty", "SPIRE returned no SPIFFE ID");
  return SpiffeId.fromPath(TrustDomain.parse(id.trustDomain), id.path);
}

export function toProtoEntry(spec: EntrySpec): Entry {
  return create(EntrySchema, {
    spiffeId: toProtoId(spec.spiffeId),
    parentId: toProtoId(spec.parentId),
    selectors: spec.selectors.map(toSelector),
    x509SvidTtl: spec.x509SvidTtl ?? 0,
    jwtSvidTtl: spec.jwtSvidTtl ?? 0,
    dnsNames: spec.dnsNames ?? [],
    hint: spec.hint ?? "",
    admin: spec.admin ?? false,
    downstream: spec.downstream ?? false,
    federatesWith: spec.federatesWith ?? [],
    expiresAt: spec.expiresAt ? BigInt(Math.floor(spec.expiresAt.getTime() / 1000)) : 0n,
  });
}

export function fromProtoEntry(entry: Entry): SpireEntry {
  return {
    id: entry.id,
    spiffeId: fromProtoId(entry.spiffeId),
    parentId: fromProtoId(entry.parentId),
    selectors: entry.selectors.map((s: Selector) => ({ type: s.type, value: s.value })),
    x509SvidTtl: entry.x509SvidTtl,
    jwtSvidTtl: entry.jwtSvidTtl,
    dnsNames: [...entry.dnsNames],
    hint: entry.hint,
    admin: entry.admin,
    downstream: entry.downstream,
    federatesWith: [...entry.federatesWith],
    ...(entry.expiresAt !== 0n ? { expiresAt: fromUnixSeconds(entry.expiresAt) } : {}),
    ...(entry.createdAt !== 0n ? { createdAt: fromUnixSeconds(entry.createdAt) } : {}),
    revisionNumber: entry.revisionNumber,
  };
}

export function fromProtoAgent(agent: Agent): SpireAgent {
  return {
    id: fromProtoId(agent.id),
    attestationType: agent.attestationType,
    x509SvidSerialNumber: agent.x509svidSerialNumber,
    ...(agent.x509svidExpiresAt !== 0n ? { x509SvidExpiresAt: fromUnixSeconds(agent.x509svidExpiresAt) } : {}),
    selectors: agent.selectors.map((s: Selector) => ({ type: s.type, value: s.value })),
    banned: agent.banned,
    canReattest: agent.canReattest,
    agentVersion: agent.agentVersion,
  };
}

/** The SPIFFE ID SPIRE gives an agent attested with a join token. */
export function joinTokenAgentId(trustDomain: TrustDomain, token: string): SpiffeId {
  return SpiffeId.fromSegments(trustDomain, "spire", "agent", "join_token", token);
}

export function fromUnixSeconds(seconds: bigint): Date {
  return new Date(Number(seconds) * 1000);
}
