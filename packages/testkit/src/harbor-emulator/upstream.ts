// The few reads and deletes the emulated API needs from the upstream docker-registry, over its
// plain distribution API: the catalog, tag lists, manifests by tag or digest, delete by digest.
// Harbor keeps this in its database; the emulator derives it from the registry instead.

/** Manifest media types asked for, so the registry answers every kind as stored. */
const manifestAccept = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

export interface ManifestInfo {
  digest: string;
  mediaType: string;
  size: number;
  body: {
    mediaType?: string;
    artifactType?: string;
    config?: { mediaType?: string; size?: number };
    layers?: { size?: number }[];
    manifests?: { size?: number }[];
    annotations?: Record<string, string>;
  };
}

export class Upstream {
  constructor(readonly url: string) {}

  /** Every repository name in the registry, following the catalog's Link pages (distribution serves at most 1000 a page). */
  async catalog(): Promise<string[]> {
    const names: string[] = [];
    let next: string | undefined = `${this.url}/v2/_catalog?n=1000`;
    while (next) {
      const res: Response = await fetch(next);
      if (!res.ok) throw new Error(`upstream catalog: HTTP ${res.status}`);
      names.push(...(((await res.json()) as { repositories?: string[] }).repositories ?? []));
      const link = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "");
      next = link ? new URL(link[1], this.url).toString() : undefined;
    }
    return names;
  }

  /** Tags of a repository; empty when it has none or is unknown. */
  async tags(repository: string): Promise<string[]> {
    const res = await fetch(`${this.url}/v2/${repository}/tags/list?n=100000`);
    if (res.status === 404) {
      await res.body?.cancel();
      return [];
    }
    if (!res.ok) throw new Error(`upstream tags of ${repository}: HTTP ${res.status}`);
    return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
  }

  async manifest(repository: string, reference: string): Promise<ManifestInfo | undefined> {
    const res = await fetch(`${this.url}/v2/${repository}/manifests/${reference}`, {
      headers: { accept: manifestAccept },
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) throw new Error(`upstream manifest ${repository}@${reference}: HTTP ${res.status}`);
    const raw = Buffer.from(await res.arrayBuffer());
    return {
      digest: res.headers.get("docker-content-digest") ?? "",
      mediaType: res.headers.get("content-type") ?? "",
      size: raw.length,
      body: JSON.parse(raw.toString("utf8")) as ManifestInfo["body"],
    };
  }

  /** Deletes a manifest by digest; false when the registry did not have it. */
  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const res = await fetch(`${this.url}/v2/${repository}/manifests/${digest}`, { method: "DELETE" });
    await res.body?.cancel();
    if (res.status === 404) return false;
    if (!res.ok) throw new Error(`upstream delete ${repository}@${digest}: HTTP ${res.status}`);
    return true;
  }

  /**
   * The repository's artifacts: one per distinct manifest digest reachable from a tag, with its
   * tags. (Untagged manifests cannot be listed through the distribution API.)
   */
  async artifacts(repository: string): Promise<{ manifest: ManifestInfo; tags: string[] }[]> {
    const byDigest = new Map<string, { manifest: ManifestInfo; tags: string[] }>();
    for (const tag of (await this.tags(repository)).sort()) {
      const manifest = await this.manifest(repository, tag);
      if (!manifest) continue;
      const entry = byDigest.get(manifest.digest);
      if (entry) entry.tags.push(tag);
      else byDigest.set(manifest.digest, { manifest, tags: [tag] });
    }
    return [...byDigest.values()];
  }
}
