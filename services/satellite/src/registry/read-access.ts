// Who may pull. Anonymous by default (the site's runtimes pull without credentials); with
// --registry-read-credentials-file every request, the /v2/ probe included, needs Basic
// credentials of a user in that file or in the write credentials file (a writer may read). The
// file has the write file's format and checks (write-credentials.ts: plain or scrypt lines,
// constant-time comparison, a few scrypt checks at once, a passed header remembered by its hash).
import type { IncomingMessage } from "node:http";
import { OciError } from "@harbor-satellite/oci";
import { BASIC_CHALLENGE, WriteRefused, type WriteAccess } from "./write-access.js";
import type { WriteCredentials } from "./write-credentials.js";

/** Resolves when `req` may read; throws WriteRefused (401 with a challenge, or 429) otherwise. */
export async function authorizeRead(
  readers: WriteCredentials,
  writeAccess: WriteAccess,
  req: IncomingMessage,
): Promise<void> {
  const authorization = req.headers.authorization;
  if (authorization === undefined)
    throw new WriteRefused("UNAUTHORIZED", "this registry needs credentials", { "WWW-Authenticate": BASIC_CHALLENGE });
  let ok: boolean;
  try {
    ok =
      (await readers.verify(authorization)) ||
      (writeAccess.mode === "credentials" && (await writeAccess.credentials.verify(authorization)));
  } catch (error) {
    if (error instanceof OciError) throw new WriteRefused("TOOMANYREQUESTS", error.message, { "Retry-After": "1" });
    throw error;
  }
  if (!ok) throw new WriteRefused("UNAUTHORIZED", "wrong credentials", { "WWW-Authenticate": BASIC_CHALLENGE });
}
