// Repositories and artifacts, read from the upstream docker-registry: listRepositories,
// deleteRepository, listArtifacts, deleteArtifact. `repository_name` excludes the project and is
// URL-encoded twice on the wire (the server decodes once, handlers decode again).
import type { components } from "@harbor-satellite/harbor";
import { iso, notFound, paginate, parseQuery, type ApiContext, type ApiRequest, type ApiRoute } from "./api-common.js";
import { projectRepositories } from "./api-projects.js";
import type { ProjectRecord } from "./state.js";
import type { ManifestInfo } from "./upstream.js";

type Repository = components["schemas"]["Repository"];
type Artifact = components["schemas"]["Artifact"];

const indexTypes = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);
const imageConfigTypes = new Set([
  "application/vnd.oci.image.config.v1+json",
  "application/vnd.docker.container.image.v1+json",
]);
/** Harbor's default processor: `application/vnd.<vendor>.<type>.config.<v>+json` gives the type. */
const vendorConfigRe = /^application\/vnd\.[^.]*\.(.*)\.config\.[^.]*\+json$/;

function project(ctx: ApiContext, req: ApiRequest): ProjectRecord {
  const p = ctx.state.projects.get(String(req.params.project_name));
  if (!p) throw notFound(`project ${String(req.params.project_name)} not found`);
  return p;
}

/** `<project>/<repository>` from the path parameters (second decode of the double-encoded name). */
function fullName(req: ApiRequest): string {
  return `${String(req.params.project_name)}/${decodeURIComponent(String(req.params.repository_name))}`;
}

function artifactType(m: ManifestInfo): { type: string; mediaType: string } {
  if (indexTypes.has(m.mediaType)) return { type: "IMAGE", mediaType: m.mediaType };
  const config = m.body.config?.mediaType ?? "";
  if (imageConfigTypes.has(config)) return { type: "IMAGE", mediaType: config };
  const vendor = vendorConfigRe.exec(config);
  return { type: vendor ? vendor[1].toUpperCase() : "UNKNOWN", mediaType: config };
}

function toArtifact(
  ctx: ApiContext,
  p: ProjectRecord,
  repo: string,
  m: ManifestInfo,
  tags: string[],
  withTag: boolean,
): Artifact {
  const repoId = ctx.state.identify(`repo:${repo}`).id;
  const { id, seenAt } = ctx.state.identify(`artifact:${repo}@${m.digest}`);
  const { type, mediaType } = artifactType(m);
  const parts = [m.body.config, ...(m.body.layers ?? []), ...(m.body.manifests ?? [])];
  const artifact: Artifact = {
    id,
    type,
    media_type: mediaType,
    manifest_media_type: m.mediaType,
    project_id: p.id,
    repository_id: repoId,
    repository_name: repo,
    digest: m.digest,
    size: m.size + parts.reduce((sum, d) => sum + (d?.size ?? 0), 0),
    icon: "",
    push_time: iso(seenAt),
    pull_time: "0001-01-01T00:00:00.000Z",
    extra_attrs: {},
    annotations: m.body.annotations ?? {},
    addition_links: {},
  };
  if (m.body.artifactType) artifact.artifact_type = m.body.artifactType;
  if (withTag) {
    artifact.tags = tags.map((name) => {
      const tag = ctx.state.identify(`tag:${repo}:${name}`);
      return {
        id: tag.id,
        repository_id: repoId,
        artifact_id: id,
        name,
        push_time: iso(tag.seenAt),
        pull_time: "0001-01-01T00:00:00.000Z",
        immutable: false,
      };
    });
  }
  return artifact;
}

export const repositoryRoutes: ApiRoute[] = [
  {
    operationId: "listRepositories",
    handler: async (req, ctx) => {
      const p = project(ctx, req);
      const q = parseQuery(req.params.q);
      const nameTerm = q.get("name");
      const names = (await projectRepositories(ctx, p.name))
        .filter((n) => !nameTerm || (nameTerm.fuzzy ? n.includes(nameTerm.value) : n === nameTerm.value))
        .sort();
      const { page, headers } = paginate(names, req);
      const body: Repository[] = [];
      for (const name of page) {
        const { id, seenAt } = ctx.state.identify(`repo:${name}`);
        const artifacts = (await ctx.upstream?.artifacts(name)) ?? [];
        body.push({
          id,
          project_id: p.id,
          name,
          artifact_count: artifacts.length,
          pull_count: 0,
          creation_time: iso(seenAt),
          update_time: iso(seenAt),
        });
      }
      return { status: 200, body, headers };
    },
  },
  {
    operationId: "deleteRepository",
    handler: async (req, ctx) => {
      project(ctx, req);
      const name = fullName(req);
      const artifacts = (await ctx.upstream?.artifacts(name)) ?? [];
      if (artifacts.length === 0) throw notFound(`repository ${name} not found`);
      for (const { manifest } of artifacts) await ctx.upstream?.deleteManifest(name, manifest.digest);
      return { status: 200 };
    },
  },
  {
    operationId: "listArtifacts",
    handler: async (req, ctx) => {
      const p = project(ctx, req);
      const name = fullName(req);
      const all = (await ctx.upstream?.artifacts(name)) ?? [];
      if (all.length === 0) throw notFound(`repository ${name} not found`);
      const tagTerm = parseQuery(req.params.q).get("tags");
      const selected = all.filter(({ tags }) => {
        if (!tagTerm || tagTerm.value === "*") return true;
        if (tagTerm.value === "nil") return tags.length === 0;
        return tags.some((t) => (tagTerm.fuzzy ? t.includes(tagTerm.value) : t === tagTerm.value));
      });
      const { page, headers } = paginate(selected, req);
      const withTag = req.params.with_tag !== false;
      return {
        status: 200,
        headers,
        body: page.map(({ manifest, tags }) => toArtifact(ctx, p, name, manifest, tags, withTag)),
      };
    },
  },
  {
    operationId: "deleteArtifact",
    handler: async (req, ctx) => {
      project(ctx, req);
      const name = fullName(req);
      const reference = String(req.params.reference);
      const manifest = await ctx.upstream?.manifest(name, reference);
      if (!manifest) throw notFound(`artifact ${name}@${reference} not found`);
      // By tag or by digest, Harbor deletes the whole artifact with all its tags.
      await ctx.upstream?.deleteManifest(name, manifest.digest);
      return { status: 200 };
    },
  },
];
