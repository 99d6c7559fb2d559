// Raw-SQL helpers that hide the two drivers' differences: postgres.js returns rows as an array,
// PGlite as `{ rows }`; drizzle wraps driver errors (with the query and every parameter in the
// message, too long to log) around the PostgreSQL error that carries the SQLSTATE.

/** The rows of a `db.execute` result, whichever driver ran it. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** The PostgreSQL error under a drizzle error, or the error itself. */
export function pgErrorOf(error: unknown): { code?: string; message: string } {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return { code, message: current.message };
    current = current.cause;
  }
  return { message: error instanceof Error && !(error.cause instanceof Error) ? error.message : "database error" };
}
