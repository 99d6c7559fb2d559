// Who may push and delete. Reads (GET, HEAD) are anonymous unless read credentials were given
// (read-access.ts): the site's container runtimes pull without credentials. Writes are
//   read-only    refused with 405 UNSUPPORTED and `Allow: GET, HEAD`, as docker-registry's
//                read-only mode answers (the agent's default: its content comes from Ground
//                Control, and a local push would be overwritten by the next repair anyway);
//   credentials  allowed with Basic credentials from --registry-write-credentials-file; without
//                them, or with wrong ones, 401 UNAUTHORIZED and a Basic challenge;
//   anonymous    allowed for anyone (`satellite serve` on a loopback address, tests).
import type { IncomingMessage } from "node:http";
import { OciError } from "@harbor-satellite/oci";
import type { WriteCredentials } from "./write-credentials.js";

export type WriteAccess =
  { mode: "read-only" } | { mode: "anonymous" } | { mode: "credentials"; credentials: WriteCredentials };

export const BASIC_REALM = "harbor-satellite";
export const BASIC_CHALLENGE = `Basic realm="${BASIC_REALM}", charset="UTF-8"`;

/** Headers the refusal carries with it: Allow for 405, the challenge for 401. */
export class WriteRefused extends OciError {
  constructor(
    code: "UNSUPPORTED" | "UNAUTHORIZED" | "TOOMANYREQUESTS",
    message: string,
    readonly headers: Record<string, string>,
  ) {
    super(code, message);
  }
}

/** Resolves when `req` (a write) may go on; throws WriteRefused (or TOOMANYREQUESTS) otherwise. */
export async function authorizeWrite(access: WriteAccess, req: IncomingMessage): Promise<void> {
  switch (access.mode) {
    case "anonymous":
      return;
    case "read-only":
      throw new WriteRefused("UNSUPPORTED", "this registry is read-only: pushes and deletes are refused", {
        Allow: "GET, HEAD",
      });
    case "credentials": {
      const authorization = req.headers.authorization;
      let ok: boolean;
      try {
        ok = await access.credentials.verify(authorization);
      } catch (error) {
        if (error instanceof OciError) throw new WriteRefused("TOOMANYREQUESTS", error.message, { "Retry-After": "1" });
        throw error;
      }
      if (!ok)
        throw new WriteRefused(
          "UNAUTHORIZED",
          authorization === undefined ? "pushes and deletes need credentials" : "wrong credentials",
          { "WWW-Authenticate": BASIC_CHALLENGE },
        );
    }
  }
}

/** For logs and status: the mode, and the users allowed to write (never their secrets). */
export function describeWriteAccess(access: WriteAccess): { writes: WriteAccess["mode"]; users?: readonly string[] } {
  return access.mode === "credentials"
    ? { writes: access.mode, users: access.credentials.users }
    : { writes: access.mode };
}
