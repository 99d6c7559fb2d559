// Rendering what a command returns: a table for people (the default), JSON or YAML for scripts.
// Commands return a View; nothing else writes results.
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { stringify as toYaml } from "yaml";
import { UsageError } from "./exit-codes.js";

export type OutputFormat = "table" | "json" | "yaml";

/** What a command produced: data for json/yaml, and how a person should see it. */
export interface View {
  data: unknown;
  table(): string;
}

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === "table" || value === "json" || value === "yaml") return value ?? "table";
  throw new UsageError(`--output must be table, json or yaml, not ${JSON.stringify(value)}`);
}

/** The text to print for a view; ends with a newline unless empty. */
export function render(view: View, format: OutputFormat): string {
  if (format === "json") return `${JSON.stringify(view.data, null, 2)}\n`;
  if (format === "yaml") return toYaml(view.data, { lineWidth: 0 });
  const text = view.table();
  return text === "" || text.endsWith("\n") ? text : `${text}\n`;
}

/** Columns aligned with two spaces, upper-case headers, no trailing spaces. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join("\n") + "\n";
}

/** A record shown as `KEY:  value` lines, keys aligned. */
export function fields(pairs: [string, string][]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length + 1));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`.trimEnd()).join("\n") + "\n";
}

/** `2024-05-01T12:00:00Z` (seconds), or `-` when unset. */
export function formatTime(ts: Timestamp | undefined): string {
  if (!ts) return "-";
  return timestampDate(ts)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z");
}

/** A short age: `42s`, `5m`, `3h`, `2d`; `-` when unset. */
export function formatAge(ts: Timestamp | undefined, now: Date): string {
  if (!ts) return "-";
  const seconds = Math.max(0, Math.floor((now.getTime() - timestampDate(ts).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 2 * 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 2 * 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** A list in a table cell: `a,b`, or `-` when empty. */
export const joinOrDash = (items: readonly string[]): string => (items.length ? items.join(",") : "-");
