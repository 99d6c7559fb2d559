// Lists read every page: a fleet has thousands of satellites at most, and a table cut at 100 would
// mislead.

const PAGE_SIZE = 1000;
/** A guard against a server that keeps returning the same token. */
const MAX_PAGES = 10_000;

export interface PageIn {
  pageSize: number;
  pageToken: string;
}

export async function allPages<T>(
  load: (page: PageIn) => Promise<{ items: T[]; nextPageToken?: string }>,
): Promise<T[]> {
  const all: T[] = [];
  let pageToken = "";
  for (let i = 0; i < MAX_PAGES; i++) {
    const { items, nextPageToken } = await load({ pageSize: PAGE_SIZE, pageToken });
    all.push(...items);
    if (!nextPageToken || nextPageToken === pageToken) break;
    pageToken = nextPageToken;
  }
  return all;
}
