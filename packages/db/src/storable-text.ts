// PostgreSQL's text and jsonb cannot hold NUL, nor unpaired UTF-16 surrogates (which JSON-encoded
// requests can carry): a query that binds such a string fails with a data exception (22021,
// 22P05). Inputs are checked against this before they reach a query, so the caller gets its own
// error (or, for a lookup, "no such row") instead of a database error.
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether PostgreSQL can store (and compare against) this string. */
export function isStorableText(value: string): boolean {
  return !value.includes("\0") && !UNPAIRED_SURROGATE.test(value);
}
