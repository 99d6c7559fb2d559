// Repairs the owned images the audit found damaged (a tag moved or deleted by a client, a blob
// or manifest file missing or cut short on disk): each is replicated again, pinned to the
// upstream digest the applied state recorded, from the registry its group names, in repair mode
// (nothing taken as up to date, every file re-checked). What the store still holds intact is
// reused; only what is missing is fetched. One log line per image says what was wrong and which
// digest the tag moves from and to. With nothing damaged it does nothing: no upstream request.
import type { Logger } from "pino";
import { imageName, type DesiredImage, type OwnedImage } from "../replication/desired-image.js";
import type { ReplicationEngine, ReplicationSummary, UpstreamOptions } from "../replication/replication-engine.js";
import type { AppliedState } from "./applied-state.js";
import { buildDesiredSet } from "./desired-set.js";
import type { OwnedAudit } from "./owned-audit.js";

export interface RepairedImage {
  /** `repository:tag` */
  image: string;
  /** The first thing found wrong, and how many in all. */
  problem: string;
  problems: number;
  /** Where the tag pointed before the repair (undefined: it was gone). */
  from?: string;
  /** Where it points now: the digest the applied state names. */
  to: string;
  repaired: boolean;
  error?: string;
}

export interface RepairResult {
  repaired: RepairedImage[];
  /** Engine summaries (empty when nothing was damaged). */
  replication: ReplicationSummary[];
  /** The owned set with the repaired images' records, when any changed. */
  owned?: OwnedImage[];
}

export interface RepairOptions {
  audit: OwnedAudit;
  engine: Pick<ReplicationEngine, "replicate">;
  upstream: (registryUrl: string) => UpstreamOptions;
  /** The registry an applied group's images come from. */
  registryUrlOf: (group: AppliedState["groups"][number]) => string;
  logger?: Logger;
}

const messageOf = (error: unknown) =>
  error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);

/** `except`: images not to check (those that just failed in this pass, already reported). */
export async function repairOwned(
  state: AppliedState,
  options: RepairOptions,
  signal?: AbortSignal,
  except?: ReadonlySet<string>,
): Promise<RepairResult> {
  const owned = state.owned ?? [];
  const damaged = await options.audit.check(except ? owned.filter((o) => !except.has(imageName(o))) : owned);
  if (damaged.length === 0) return { repaired: [], replication: [] };

  // Which registry each image comes from, as the applied groups say.
  const desired = buildDesiredSet(
    state.groups.map((g) => ({ group: g.group, registryUrl: options.registryUrlOf(g), artifacts: g.artifacts })),
  );
  const upstreamOf = new Map<string, string>();
  for (const call of desired.upstreams)
    for (const image of call.images)
      if (!upstreamOf.has(imageName(image))) upstreamOf.set(imageName(image), call.registryUrl);

  const byUpstream = new Map<string, typeof damaged>();
  const repaired: RepairedImage[] = [];
  for (const entry of damaged) {
    const registryUrl = upstreamOf.get(imageName(entry.image));
    if (!registryUrl) {
      repaired.push(record(entry, false, "no group names this image's registry any more"));
      continue;
    }
    byUpstream.set(registryUrl, [...(byUpstream.get(registryUrl) ?? []), entry]);
  }

  const replication: ReplicationSummary[] = [];
  const next = new Map(owned.map((o) => [imageName(o), o]));
  for (const [registryUrl, entries] of byUpstream) {
    // Pinned to the upstream manifest the pass recorded: the tag goes back to what the state named.
    const images: DesiredImage[] = entries.map(({ image }) => ({
      repository: image.repository,
      tag: image.tag,
      digest: image.sourceDigest,
    }));
    const summary = await options.engine.replicate({
      upstream: options.upstream(registryUrl),
      images,
      owned: entries.map((e) => e.image),
      signal,
      repair: true,
    });
    replication.push(summary);
    for (const o of summary.owned) next.set(imageName(o), o);
    const failed = new Map(summary.failed.map((f) => [f.image, f.error]));
    for (const entry of entries) {
      const error = failed.get(imageName(entry.image));
      repaired.push(record(entry, error === undefined, error && messageOf(error)));
    }
  }

  for (const r of repaired) {
    const fields = { image: r.image, problem: r.problem, problems: r.problems, from: r.from ?? null, to: r.to };
    if (r.repaired) options.logger?.warn(fields, "owned image was damaged locally; repaired from upstream");
    else
      options.logger?.error(
        { ...fields, error: r.error },
        "owned image is damaged locally and could not be repaired yet",
      );
  }
  const changed = replication.some((s) => s.owned.length > 0)
    ? [...next.values()].sort((a, b) => imageName(a).localeCompare(imageName(b)))
    : undefined;
  return { repaired, replication, owned: changed };
}

function record(
  entry: Awaited<ReturnType<OwnedAudit["check"]>>[number],
  repaired: boolean,
  error?: string,
): RepairedImage {
  const [first] = entry.damage;
  return {
    image: imageName(entry.image),
    problem: first.kind.startsWith("tag") ? first.kind : `${first.kind} ${first.digest}`,
    problems: entry.damage.length,
    from: entry.found,
    to: entry.image.digest,
    repaired,
    ...(error === undefined ? {} : { error }),
  };
}
