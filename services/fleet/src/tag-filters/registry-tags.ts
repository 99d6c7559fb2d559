// Harbor's tags of a repository, asked of the registry service (the fleet never talks to Harbor).
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { RegistryClient } from "../publish-jobs.js";
import type { ListTags } from "./resolve-group.js";

export function registryTagLister(registry: RegistryClient, timeoutMs: number): ListTags {
  return async (repository) => {
    const { tags } = await registry.listRepositoryTags({ repository }, { timeoutMs });
    return tags.map((t) => ({
      name: t.name,
      digest: t.digest,
      pushTime: t.pushTime ? timestampDate(t.pushTime) : new Date(0),
    }));
  };
}
