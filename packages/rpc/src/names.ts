// Names of satellites, groups, configs and regions: what the original accepted
// (`^[a-z0-9][a-z0-9._-]*$`, at most 255 characters), checked the same way everywhere.
import { InvalidArgumentError } from "./errors.js";

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
export const MAX_NAME_LENGTH = 255;

export function isValidName(value: string): boolean {
  return value.length <= MAX_NAME_LENGTH && NAME_PATTERN.test(value);
}

/** Throws InvalidArgumentError naming the field and the rule. */
export function requireName(field: string, value: string): string {
  if (value === "") throw new InvalidArgumentError(`${field} is required`);
  if (value.length > MAX_NAME_LENGTH)
    throw new InvalidArgumentError(`${field} is ${value.length} characters; at most ${MAX_NAME_LENGTH} allowed`);
  if (!NAME_PATTERN.test(value)) {
    throw new InvalidArgumentError(
      `${field} ${JSON.stringify(value)} is invalid: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit`,
    );
  }
  return value;
}
