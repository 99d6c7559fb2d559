// What configuring one runtime did, for logs and for the heartbeat's `activity` text.
import type { FileEdit } from "./config-file-edit.js";
import type { RuntimeName } from "./mirror-spec.js";

export interface RuntimeResult {
  runtime: RuntimeName;
  files: FileEdit[];
  /** The runtime reads the changed setting only at start (or on reload); the agent does not restart it. */
  restartRequired: boolean;
  /** What the operator should know (e.g. how to make the runtime pick the change up). */
  notes: string[];
}

export class RuntimeConfigError extends Error {
  constructor(
    readonly runtime: RuntimeName,
    readonly path: string,
    reason: string,
  ) {
    super(`${runtime}: cannot configure ${path}: ${reason}`);
    this.name = "RuntimeConfigError";
  }
}

/** `cri_fallback_configured: containerd(ok, backup:/etc/…bak.…), docker(unchanged)`, as the original reported it. */
export function describeResults(results: readonly (RuntimeResult | { runtime: RuntimeName; error: Error })[]): string {
  const parts = results.map((r) => {
    if ("error" in r) return `${r.runtime}(failed: ${r.error.message})`;
    const changed = r.files.filter((f) => f.changed);
    if (changed.length === 0) return `${r.runtime}(unchanged)`;
    const backups = changed.map((f) => f.backup).filter((b): b is string => b !== undefined);
    return `${r.runtime}(ok${backups.length ? `, backup:${backups.join(",")}` : ""})`;
  });
  return `cri_fallback_configured: ${parts.join(", ")}`;
}
