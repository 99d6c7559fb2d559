// Harbor's OCI 1.1 referrers API (`GET /v2/<name>/referrers/<digest>`, Harbor ≥ 2.8), which Harbor
// answers itself from its artifact records rather than from the registry behind it: every
// manifest pushed through the emulator that has a `subject` is recorded, and the API answers with
// an image index of their descriptors — `artifactType` the manifest's own, else its config's media
// type (distribution spec 1.1), annotations copied — filtered by `?artifactType=` with
// `OCI-Filters-Applied`. Never 404 for a valid digest: an empty index when nothing refers to it.
import type { ServerResponse } from "node:http";

interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** The manifests a push can carry a subject in. */
const WITH_SUBJECT = new Set([OCI_INDEX, "application/vnd.oci.image.manifest.v1+json"]);

export class ReferrersIndex {
  /** `repository@subject digest` → referrer descriptors by digest. */
  private readonly bySubject = new Map<string, Map<string, ReferrerDescriptor>>();

  /** Records a pushed manifest when it names a subject (anything unparsable is not a referrer). */
  observe(repository: string, contentType: string | undefined, body: Buffer, digest: string): void {
    let manifest: {
      mediaType?: string;
      artifactType?: string;
      config?: { mediaType?: string };
      subject?: { digest?: string };
      annotations?: Record<string, string>;
    };
    try {
      manifest = JSON.parse(body.toString("utf8")) as typeof manifest;
    } catch {
      return;
    }
    const mediaType = contentType?.split(";")[0].trim() || manifest.mediaType || "";
    const subject = manifest.subject?.digest;
    if (!subject || !WITH_SUBJECT.has(mediaType)) return;
    const key = `${repository}@${subject}`;
    let referrers = this.bySubject.get(key);
    if (!referrers) this.bySubject.set(key, (referrers = new Map()));
    const artifactType = manifest.artifactType ?? (mediaType === OCI_INDEX ? undefined : manifest.config?.mediaType);
    referrers.set(digest, {
      mediaType,
      digest,
      size: body.length,
      ...(artifactType ? { artifactType } : {}),
      ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
    });
  }

  /** Answers the referrers request for `digest` in `repository`. */
  answer(res: ServerResponse, repository: string, digest: string, artifactType: string | null): void {
    const all = [...(this.bySubject.get(`${repository}@${digest}`)?.values() ?? [])];
    const manifests = artifactType ? all.filter((d) => d.artifactType === artifactType) : all;
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
    res.writeHead(200, {
      "docker-distribution-api-version": "registry/2.0",
      "content-type": OCI_INDEX,
      "content-length": body.length,
      ...(artifactType ? { "oci-filters-applied": "artifactType" } : {}),
    });
    res.end(body);
  }
}
