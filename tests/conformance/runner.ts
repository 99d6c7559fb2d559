// Runs every check against one registry, one after another, and keeps each outcome with the
// exchanges it made, for the per-registry counts and the request-by-request comparison.
import { CheckContext, type Category, type Check, type Exchange, type Target } from "./check.js";
import { discoveryChecks } from "./checks/discovery.js";
import { managementChecks } from "./checks/management.js";
import { pullChecks } from "./checks/pull.js";
import { pushBlobChecks } from "./checks/push-blobs.js";
import { pushManifestChecks } from "./checks/push-manifests.js";
import type { Fixtures } from "./fixtures.js";

export interface CheckResult {
  id: string;
  category: Category;
  passed: boolean;
  error?: string;
  exchanges: Exchange[];
}

export function allChecks(f: Fixtures): Check[] {
  return [
    ...pullChecks(f),
    ...pushBlobChecks(f),
    ...pushManifestChecks(f),
    ...discoveryChecks(f),
    ...managementChecks(f),
  ];
}

export async function runChecks(target: Target, checks: Check[]): Promise<Map<string, CheckResult>> {
  const results = new Map<string, CheckResult>();
  for (const check of checks) {
    const t = new CheckContext(target, check);
    try {
      await check.run(t);
      results.set(check.id, { id: check.id, category: check.category, passed: true, exchanges: t.exchanges });
    } catch (error) {
      results.set(check.id, {
        id: check.id,
        category: check.category,
        passed: false,
        error: (error as Error).message,
        exchanges: t.exchanges,
      });
    }
  }
  return results;
}

/** `pull 11/11, push 21/21, …` for one registry. */
export function tally(results: Map<string, CheckResult>): { passed: number; total: number; byCategory: string } {
  const cats = new Map<Category, [number, number]>();
  for (const r of results.values()) {
    const [p, n] = cats.get(r.category) ?? [0, 0];
    cats.set(r.category, [p + (r.passed ? 1 : 0), n + 1]);
  }
  const passed = [...results.values()].filter((r) => r.passed).length;
  return { passed, total: results.size, byCategory: [...cats].map(([c, [p, n]]) => `${c} ${p}/${n}`).join(", ") };
}
