// Which Harbor events resolve which groups' tag filters (the HTTP route itself runs end to end in
// tests/e2e/tag-filters.test.ts).
import { describe, expect, it } from "vitest";
import { webhookScope } from "./harbor-webhook.js";

/** Harbor's event body as its notification handler sends it (fields trimmed to those read). */
const event = (type: string, repository?: string) => ({
  type,
  occur_at: 1_700_000_000,
  operator: "admin",
  event_data: {
    resources: [
      { digest: `sha256:${"a".repeat(64)}`, tag: "1.3.0", resource_url: `harbor.example.com/${repository}:1.3.0` },
    ],
    ...(repository
      ? {
          repository: {
            name: repository.split("/")[1],
            namespace: repository.split("/")[0],
            repo_full_name: repository,
          },
        }
      : {}),
  },
});

describe("webhookScope", () => {
  it("resolves the pushed or deleted repository's groups", () => {
    expect(webhookScope(event("PUSH_ARTIFACT", "apps/web"))).toEqual({ repositories: ["apps/web"] });
    expect(webhookScope(event("DELETE_ARTIFACT", "apps/team/api"))).toEqual({ repositories: ["apps/team/api"] });
  });

  it("resolves every filtered group for a retention run or an artifact event without a repository", () => {
    expect(webhookScope({ type: "TAG_RETENTION", event_data: { retention: { total: 3 } } })).toEqual({
      repositories: [],
    });
    expect(webhookScope(event("PUSH_ARTIFACT"))).toEqual({ repositories: [] });
  });

  it("ignores events that cannot change tags, and bodies that are no event", () => {
    for (const type of ["PULL_ARTIFACT", "SCANNING_COMPLETED", "QUOTA_EXCEED", "REPLICATION"])
      expect(webhookScope(event(type, "apps/web")), type).toBeUndefined();
    expect(webhookScope(null)).toBeUndefined();
    expect(webhookScope({ event_data: {} })).toBeUndefined();
    expect(webhookScope("PUSH_ARTIFACT")).toBeUndefined();
  });
});
