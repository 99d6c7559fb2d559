// Offset paging with opaque tokens. Lists are ordered by name, so an offset is stable enough
// for admin listings; the token is opaque so that can change without breaking clients.
import { InvalidArgumentError } from "./errors.js";

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface PageWindow {
  limit: number;
  offset: number;
}

export function pageWindow(page: { pageSize?: number; pageToken?: string } | undefined): PageWindow {
  const size = page?.pageSize ?? 0;
  if (size < 0) throw new InvalidArgumentError("page_size must not be negative");
  const limit = Math.min(size === 0 ? DEFAULT_PAGE_SIZE : size, MAX_PAGE_SIZE);
  const token = page?.pageToken ?? "";
  if (token === "") return { limit, offset: 0 };
  const decoded = /^o(\d{1,12})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!decoded) throw new InvalidArgumentError("page_token is not one this server issued");
  return { limit, offset: Number(decoded[1]) };
}

/** The next page token after reading `count` rows of `total`. */
export function nextPageToken(window: PageWindow, count: number, total: number): string {
  const next = window.offset + count;
  return next < total && count > 0 ? Buffer.from(`o${next}`).toString("base64url") : "";
}
