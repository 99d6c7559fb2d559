// Byte sizes as a config writes them (`app_config.store_quota`): a whole number of bytes
// ("1073741824") or a number with a unit, decimal (kB/KB, MB, GB, TB: powers of 1000) or binary
// (KiB, MiB, GiB, TiB: powers of 1024), "10GiB", "1.5 GB"; the unit's case does not matter.
// The result is whole bytes (rounded down), at most Number.MAX_SAFE_INTEGER.

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

const PATTERN = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

export class InvalidByteSizeError extends Error {
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(`${JSON.stringify(value.slice(0, 100))} is not a byte size (${reason})`);
    this.name = "InvalidByteSizeError";
  }
}

/** Bytes of `text`; throws InvalidByteSizeError naming what is wrong. */
export function parseByteSize(text: string): number {
  const match = PATTERN.exec(text.trim());
  if (!match) throw new InvalidByteSizeError(text, "expected a number of bytes or a number with a unit, e.g. 10GiB");
  const [, amount, unit] = match;
  const factor = UNITS[(unit || "b").toLowerCase()];
  if (factor === undefined)
    throw new InvalidByteSizeError(text, `unknown unit ${unit}; use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB`);
  const bytes = Math.floor(Number(amount) * factor);
  if (!Number.isSafeInteger(bytes)) throw new InvalidByteSizeError(text, "too large");
  return bytes;
}

/** `1.5 GiB` style, for messages (binary units, at most one decimal). */
export function formatByteSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let index = 0;
  while (value >= 1024 && index < units.length - 1) {
    value /= 1024;
    index++;
  }
  return index === 0 ? `${bytes} B` : `${Number(value.toFixed(1))} ${units[index]}`;
}
