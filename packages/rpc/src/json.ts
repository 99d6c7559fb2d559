// JSON carried inside rpc fields (configs, patches): parsed once, with errors that say which
// field broke and how. Nesting is limited (MAX_JSON_DEPTH): JSON.parse takes any depth, but
// everything after it that recurses (merge patches, JSON.stringify, PostgreSQL's jsonb) overflows
// its stack on a few hundred thousand levels, and no satellite config needs more than a handful.
import { InvalidArgumentError } from "./errors.js";

/** The deepest nesting of arrays and objects accepted in client JSON (`{}` is 1, `{"a":[]}` 2). */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests arrays and objects deeper than `limit`; iterative, so any depth is safe to ask about. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  const pending: Array<[object, number]> = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, depth] = next;
    if (depth > limit) return true;
    for (const child of Object.values(node))
      if (typeof child === "object" && child !== null) pending.push([child as object, depth + 1]);
  }
  return false;
}

/** InvalidArgument naming the field and the limit when `value` nests deeper than MAX_JSON_DEPTH. */
export function requireJsonDepth(field: string, value: unknown): void {
  if (nestsDeeperThan(value, MAX_JSON_DEPTH))
    throw new InvalidArgumentError(
      `${field} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels, the most accepted`,
    );
}

/** Parses JSON text into an object, or InvalidArgument naming the field and the problem. */
export function parseJsonObject(field: string, text: string): Record<string, unknown> {
  if (text.trim() === "") throw new InvalidArgumentError(`${field} is required`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`${field} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new InvalidArgumentError(`${field} must be a JSON object`);
  requireJsonDepth(field, value);
  return value as Record<string, unknown>;
}
