// Push (spec "Push"), manifests: end-7a/7b — by tag and digest, with ?tag=, over missing blobs,
// invalid, under the wrong digest, with a subject, a data field or non-distributable layers, and
// over the size limit. Blobs are in push-blobs.ts.
import { MAX_MANIFEST_BYTES, MediaType } from "@harbor-satellite/oci";
import type { Check } from "../check.js";
import type { Fixtures } from "../fixtures.js";
import { pushBlob, pushManifest, putManifest } from "../setup.js";

export function pushManifestChecks(f: Fixtures): Check[] {
  return [
    {
      id: "push-manifest",
      category: "push",
      title: "a manifest pushed by tag and by digest answers 201 with Location and its digest",
      spec: "end-7a",
      run: async (t) => {
        for (const blob of f.image.blobs) await pushBlob(t, t.repo(), blob);
        for (const ref of ["v1", f.image.digest]) {
          const put = await putManifest(
            t,
            t.repo(),
            ref,
            f.image,
            `PUT manifest by ${ref === "v1" ? "tag" : "digest"}`,
          );
          t.status(put, [201], "PUT manifest");
          t.location(put);
          t.digestHeader(put, f.image.digest, "PUT manifest");
        }
      },
    },
    {
      id: "push-manifest-tags-param",
      category: "push",
      title: "a push by digest with ?tag= creates the tags and answers OCI-Tag (MAY)",
      spec: "end-7b",
      run: async (t) => {
        for (const blob of f.image.blobs) await pushBlob(t, t.repo(), blob);
        const put = await t.request(
          "PUT by digest with tags",
          "PUT",
          `/v2/${t.repo()}/manifests/${f.image.digest}?tag=1.0&tag=latest`,
          { headers: { "content-type": f.image.mediaType }, body: f.image.bytes },
        );
        t.status(put, [201], "PUT with ?tag=");
        t.equal(put.headers.get("oci-tag"), "1.0, latest", "OCI-Tag");
        t.status(
          await t.request("GET tag from ?tag=", "GET", `/v2/${t.repo()}/manifests/latest`, {
            headers: { accept: f.image.mediaType },
          }),
          [200],
          "GET a ?tag= tag",
        );
      },
    },
    {
      id: "push-manifest-missing-blob",
      category: "push",
      title: "a manifest whose blobs are missing is refused with MANIFEST_BLOB_UNKNOWN",
      spec: "Push: code-5",
      run: async (t) => {
        t.error(
          await putManifest(t, t.repo(), "v1", f.unpushed, "PUT manifest without blobs"),
          [400, 404],
          "PUT manifest without blobs",
          "MANIFEST_BLOB_UNKNOWN",
        );
      },
    },
    {
      id: "push-manifest-invalid",
      category: "push",
      title: "bytes that are not a manifest are refused with MANIFEST_INVALID",
      spec: "Push: code-6",
      run: async (t) => {
        const res = await t.request("PUT garbage manifest", "PUT", `/v2/${t.repo()}/manifests/v1`, {
          headers: { "content-type": MediaType.OciManifest },
          body: "{ not a manifest",
        });
        t.error(res, [400], "PUT garbage", "MANIFEST_INVALID");
      },
    },
    {
      id: "push-manifest-digest-mismatch",
      category: "push",
      title: "a manifest pushed under a digest it does not hash to is refused",
      spec: "end-7a, code-4",
      run: async (t) => {
        for (const blob of f.image.blobs) await pushBlob(t, t.repo(), blob);
        const put = await putManifest(t, t.repo(), f.image2.digest, f.image, "PUT manifest under wrong digest");
        t.error(put, [400], "PUT under a wrong digest", "DIGEST_INVALID");
      },
    },
    {
      id: "push-artifact-with-subject",
      category: "push",
      title: "an artifact with a subject is accepted before its subject, with OCI-Subject (v1.1)",
      spec: "Pushing Manifests with Subject",
      run: async (t) => {
        for (const blob of f.sbom.blobs) await pushBlob(t, t.repo(), blob);
        const put = await putManifest(t, t.repo(), f.sbom.digest, f.sbom, "PUT artifact with subject");
        t.status(put, [201], "PUT artifact with subject");
        t.equal(put.headers.get("oci-subject"), f.image.digest, "OCI-Subject");
      },
    },
    {
      id: "push-data-field",
      category: "push",
      title: "a manifest whose descriptors carry `data` is stored exactly",
      spec: "end-7a",
      run: async (t) => {
        await pushManifest(t, t.repo(), "data", f.dataField);
        const get = await t.request("GET data-field manifest", "GET", `/v2/${t.repo()}/manifests/data`, {
          headers: { accept: MediaType.OciManifest },
        });
        t.ok(get.body.equals(f.dataField.bytes), "data-field manifest bytes differ");
      },
    },
    {
      id: "push-non-distributable",
      category: "push",
      title: "a manifest with a non-distributable layer is accepted without that layer",
      spec: "end-7a",
      run: async (t) => {
        for (const blob of f.nonDistributable.blobs) await pushBlob(t, t.repo(), blob);
        t.status(
          await putManifest(t, t.repo(), "nd", f.nonDistributable, "PUT non-distributable"),
          [201],
          "PUT non-distributable",
        );
      },
    },
    {
      id: "push-manifest-too-large",
      category: "push",
      title: "a manifest over 4 MiB is refused with 413 (SHOULD)",
      spec: "Pushing Manifests (413)",
      run: async (t) => {
        const body = JSON.parse(f.image.bytes.toString()) as Record<string, unknown>;
        body.annotations = { pad: "x".repeat(MAX_MANIFEST_BYTES) };
        const big = Buffer.from(JSON.stringify(body));
        for (const blob of f.image.blobs) await pushBlob(t, t.repo(), blob);
        const put = await t.request("PUT oversize manifest", "PUT", `/v2/${t.repo()}/manifests/big`, {
          headers: { "content-type": MediaType.OciManifest },
          body: big,
        });
        t.status(put, [413], "PUT oversize manifest");
      },
    },
  ];
}
