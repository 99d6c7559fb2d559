// The pass's byte plan (issue 13, store quota): every image of a pass resolves its manifests,
// then waits here until all have (or have finished without copying: up to date, failed); the
// blobs they still need are added up once (each digest once, those the store holds left out) and
// handed to the caller's check before any layer byte is fetched. The check may make room (the
// quota evicts images no group wants) or refuse: an image that needs bytes then fails with the
// reason, one that needs none goes on (it only stores manifests).
import type { Descriptor } from "@harbor-satellite/oci";

/** What a pass still has to fetch. */
export interface FetchPlan {
  /** Bytes of the blobs the target lacks, each digest once. */
  bytes: number;
  blobs: number;
}

/** Checks a pass's plan before any layer byte moves; a returned reason refuses the fetch. */
export type BeforeFetch = (plan: FetchPlan) => Promise<string | undefined>;

/** The pass's check refused to fetch what this image needs (the quota is too small). */
export class FetchRefusedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "FetchRefusedError";
  }
}

export interface FetchBarrier {
  /** Image `id` needs `blobs`: resolves once the plan is checked; throws FetchRefusedError when refused. */
  arrive(id: number, blobs: readonly Descriptor[]): Promise<void>;
  /** Image `id` is done without arriving (or has arrived): it no longer holds the plan back. */
  leave(id: number): void;
}

/**
 * A barrier for `ids` images. `isStored` says whether the target holds a blob already;
 * `check` sees the plan once, when the last image has arrived or left.
 */
export function createFetchBarrier(
  ids: readonly number[],
  isStored: (digest: string) => Promise<boolean>,
  check: BeforeFetch,
): FetchBarrier {
  const pending = new Set(ids);
  const needs = new Map<number, readonly Descriptor[]>();
  let settle!: (refusal: string | undefined) => void;
  let fail!: (error: unknown) => void;
  const decided = new Promise<string | undefined>((resolve, reject) => ((settle = resolve), (fail = reject)));
  decided.catch(() => undefined); // observed by every waiter; none may be left when all failed
  /** Digests the target lacks, filled once by decide(). */
  const missing = new Set<string>();

  const decide = async () => {
    const sizes = new Map<string, number>();
    for (const blobs of needs.values()) for (const blob of blobs) sizes.set(blob.digest, blob.size);
    let bytes = 0;
    for (const [digest, size] of sizes)
      if (!(await isStored(digest))) {
        missing.add(digest);
        bytes += size;
      }
    return missing.size === 0 ? undefined : check({ bytes, blobs: missing.size });
  };
  const depart = (id: number) => {
    if (!pending.delete(id) || pending.size > 0) return;
    decide().then(settle, fail);
  };

  return {
    async arrive(id, blobs) {
      needs.set(id, blobs);
      depart(id);
      const refusal = await decided;
      if (refusal !== undefined && blobs.some((blob) => missing.has(blob.digest))) throw new FetchRefusedError(refusal);
    },
    leave: depart,
  };
}
