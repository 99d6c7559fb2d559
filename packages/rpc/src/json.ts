// JSON carried inside rpc fields (configs, patches): parsed once, with errors that say which
// field broke and how.
import { InvalidArgumentError } from "./errors.js";

/** Parses JSON text into an object, or InvalidArgument naming the field and the problem. */
export function parseJsonObject(field: string, text: string): Record<string, unknown> {
  if (text.trim() === "") throw new InvalidArgumentError(`${field} is required`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`${field} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidArgumentError(`${field} must be a JSON object`);
  return value as Record<string, unknown>;
}
