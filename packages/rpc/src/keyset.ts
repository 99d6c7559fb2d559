// Keyset paging with opaque tokens: a token holds the last name a page returned and the total
// counted when the listing started, so page 1,000 costs what page 1 does (an indexed range read
// after the name, no offset to skip) and no page but the first counts the matching rows.
// The total does not follow rows added or deleted while a client pages; it says how large the
// listing was when it began.
//
// Tokens a server issued before keyset paging stay valid: `o<offset>` (offset paging) and
// `<kind>:<name>` (a keyset cursor without a total). Both are decoded into what the list needs
// to continue, and that list's next token is of the new form.
import { InvalidArgumentError } from "./errors.js";
import { MAX_NAME_LENGTH } from "./names.js";
import { pageWindow } from "./paging.js";

export interface KeysetWindow {
  limit: number;
  /** Continue after this name; undefined on the first page. */
  after?: string;
  /** The total counted on the listing's first page; undefined when it must be counted now. */
  total?: number;
  /** Rows to skip: only for a token of the old offset form (`o<offset>`). */
  offset?: number;
}

const KEY = /^[a-z0-9._-]+$/;
const NOT_OURS = "page_token is not one this server issued";

/**
 * The page a request asks for. `kind` names the listing (one letter or word, no ':'), so a token
 * from one list is refused by another; `legacyOffset` accepts the old `o<offset>` tokens.
 */
export function keysetWindow(
  page: { pageSize?: number; pageToken?: string } | undefined,
  kind: string,
  options: { legacyOffset?: boolean } = {},
): KeysetWindow {
  const { limit } = pageWindow({ pageSize: page?.pageSize });
  const token = page?.pageToken ?? "";
  if (token === "") return { limit };
  const text = Buffer.from(token, "base64url").toString("utf8");
  const offset = options.legacyOffset ? /^o(\d{1,12})$/.exec(text) : null;
  if (offset) return { limit, offset: Number(offset[1]) };
  const current = new RegExp(`^${kind}:(\\d{1,15}):(.+)$`).exec(text);
  if (current) return { limit, total: Number(current[1]), after: requireKey(current[2]) };
  if (text.startsWith(`${kind}:`)) return { limit, after: requireKey(text.slice(kind.length + 1)) };
  throw new InvalidArgumentError(NOT_OURS);
}

/** The token for the page after `last`; empty when no row follows. */
export function keysetToken(kind: string, last: string | undefined, total: number, more: boolean): string {
  if (!more || last === undefined) return "";
  return Buffer.from(`${kind}:${total}:${last}`).toString("base64url");
}

function requireKey(key: string): string {
  if (key.length > MAX_NAME_LENGTH || !KEY.test(key)) throw new InvalidArgumentError(NOT_OURS);
  return key;
}
