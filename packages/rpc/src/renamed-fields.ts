// Request fields renamed in v0.2 so that every rpc names a thing the same way (the satellite is
// `satellite`, the group `group`, the config `config`). The old field keeps its number and JSON
// name, marked deprecated, and is accepted until v0.3: old binary clients (by field number) and
// old JSON clients (by name) keep working. A request may carry both (a client that talks to
// servers before and after the rename sends both) as long as they agree.
import { InvalidArgumentError } from "./errors.js";

/**
 * The value of a renamed string field: the new field's when set, else the deprecated one's ("" when
 * neither is). Both set to different values is InvalidArgument naming both.
 */
export function renamedField(field: string, value: string, deprecatedField: string, deprecatedValue: string): string {
  if (value !== "" && deprecatedValue !== "" && value !== deprecatedValue) {
    throw new InvalidArgumentError(
      `${field} ${JSON.stringify(value)} and ${deprecatedField} ${JSON.stringify(deprecatedValue)} disagree: ${deprecatedField} is the deprecated name of ${field} (accepted until v0.3); send ${field} only`,
    );
  }
  return value !== "" ? value : deprecatedValue;
}
