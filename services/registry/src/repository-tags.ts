// The tags of one repository in Harbor, with the digest each names and its push time: what the
// fleet resolves group tag filters against (ListRepositoryTags). One listArtifacts walk (all
// pages, with tags); an artifact with several tags gives one entry per tag.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  RepositoryTagSchema,
  type RepositoryTag,
} from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import type { HarborClient } from "@harbor-satellite/harbor";
import { isRepositoryName } from "@harbor-satellite/oci";
import { InvalidArgumentError } from "@harbor-satellite/rpc";
import { harborFailure } from "./harbor-errors.js";

/** `project/name[/…]`, split at the first '/': Harbor's project and its repository name. */
export function requireHarborRepository(field: string, repository: string): { project: string; repo: string } {
  const slash = repository.indexOf("/");
  if (!isRepositoryName(repository) || slash < 1)
    throw new InvalidArgumentError(
      `${field} ${JSON.stringify(repository)} must be a repository name with a project, e.g. "library/nginx"`,
    );
  return { project: repository.slice(0, slash), repo: repository.slice(slash + 1) };
}

export async function listRepositoryTags(harbor: HarborClient, repository: string): Promise<RepositoryTag[]> {
  const { project, repo } = requireHarborRepository("repository", repository);
  let artifacts;
  try {
    artifacts = await harbor.listArtifacts(project, repo);
  } catch (error) {
    throw harborFailure(error, `listing the tags of ${repository}`);
  }
  return artifacts.flatMap((artifact) =>
    (artifact.tags ?? []).map((tag) =>
      create(RepositoryTagSchema, {
        name: tag.name ?? "",
        digest: artifact.digest ?? "",
        pushTime: timestampFromDate(new Date(tag.push_time ?? artifact.push_time ?? 0)),
      }),
    ),
  );
}
