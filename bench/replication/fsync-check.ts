// What each tool does to make its writes durable: one run under `strace -f -c`, counting fsync,
// fdatasync and sync_file_range calls (the count is printed next to the figures, since a tool
// that never flushes is not doing the satellite's whole job).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./harness.js";
import { withTool, type CopyJob, type Tool } from "./peers.js";

const CALLS = ["fsync", "fdatasync", "sync_file_range"] as const;

export async function countSyncCalls(tool: Tool, job: CopyJob): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bench-strace-"));
  try {
    const out = join(dir, "strace");
    const { code, stderr } = await withTool(tool, job, (command, args) =>
      run("strace", ["-f", "-c", "-o", out, "-e", `trace=${CALLS.join(",")}`, command, ...args]),
    );
    if (code !== 0) throw new Error(`${tool} under strace exited ${code}: ${stderr.slice(-1000)}`);
    const counts = Object.fromEntries(CALLS.map((c) => [c, 0]));
    for (const line of (await readFile(out, "utf8")).split("\n")) {
      const fields = line.trim().split(/\s+/);
      const name = fields[fields.length - 1] as (typeof CALLS)[number];
      if (CALLS.includes(name)) counts[name] = Number(fields[3]);
    }
    const notes =
      tool === "skopeo-reg"
        ? " (skopeo only; the destination docker-registry does the writing)"
        : tool === "containerd"
          ? " (ctr only; the containerd daemon does the writing)"
          : "";
    return `${CALLS.map((c) => `${c} ${counts[c]}`).join(", ")}${notes}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
