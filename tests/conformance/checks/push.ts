// Push (spec "Push"): end-4a/4b/4c, end-5, end-6, end-7a/7b, end-11, end-13, end-14.
import { MAX_MANIFEST_BYTES, MediaType, digestOf } from "@harbor-satellite/oci";
import type { Check, CheckContext } from "../check.js";
import type { Blob, Fixtures } from "../fixtures.js";
import { pushBlob, pushManifest, putManifest } from "../setup.js";

async function blobPresent(t: CheckContext, repo: string, blob: Blob): Promise<void> {
  const get = await t.request("GET pushed blob", "GET", `/v2/${repo}/blobs/${blob.digest}`);
  t.status(get, [200], "GET pushed blob");
  t.ok(get.body.equals(blob.bytes), "pushed blob reads back different bytes");
}

export function pushChecks(f: Fixtures): Check[] {
  const [config, layer] = f.image.blobs;
  return [
    {
      id: "push-post-put",
      category: "push",
      title: "POST opens a session (202, Location), PUT ?digest= completes it (201, Location)",
      spec: "end-4a, end-6",
      run: async (t) => {
        const start = await t.request("POST upload", "POST", `/v2/${t.repo()}/blobs/uploads/`);
        t.status(start, [202], "POST upload");
        const location = new URL(t.location(start));
        location.searchParams.set("digest", layer.digest);
        const put = await t.request("PUT upload", "PUT", location.toString(), {
          headers: { "content-type": "application/octet-stream" },
          body: layer.bytes,
        });
        t.status(put, [201], "PUT upload");
        t.location(put);
        await blobPresent(t, t.repo(), layer);
      },
    },
    {
      id: "push-single-post",
      category: "push",
      title: "a single POST with ?digest= and the body uploads (201), or falls back to a session (202)",
      spec: "end-4b",
      run: async (t) => {
        const post = await t.request(
          "POST with digest",
          "POST",
          `/v2/${t.repo()}/blobs/uploads/?digest=${config.digest}`,
          {
            headers: { "content-type": "application/octet-stream" },
            body: config.bytes,
          },
        );
        t.status(post, [201, 202], "single POST");
        if (post.status === 202) {
          const location = new URL(t.location(post));
          location.searchParams.set("digest", config.digest);
          t.status(
            await t.request("PUT after single POST", "PUT", location.toString(), { body: config.bytes }),
            [201],
            "PUT after 202",
          );
        }
        await blobPresent(t, t.repo(), config);
      },
    },
    {
      id: "push-chunked",
      category: "push",
      title: "chunked PATCH uploads report the range, status GET answers 204, PUT closes",
      spec: "end-5, end-13, end-6",
      run: async (t) => {
        const start = await t.request("POST upload", "POST", `/v2/${t.repo()}/blobs/uploads/`, {
          headers: { "content-length": "0" },
        });
        t.status(start, [202], "POST upload");
        let location = t.location(start);
        const size = 256 * 1024;
        for (let offset = 0; offset < f.chunked.size; offset += size) {
          const chunk = f.chunked.bytes.subarray(offset, offset + size);
          const end = offset + chunk.length - 1;
          const patch = await t.request("PATCH chunk", "PATCH", location, {
            headers: {
              "content-type": "application/octet-stream",
              "content-range": `${offset}-${end}`,
              "content-length": String(chunk.length),
            },
            body: chunk,
          });
          t.status(patch, [202], `PATCH ${offset}-${end}`);
          t.equal(patch.headers.get("range"), `0-${end}`, "PATCH Range");
          location = t.location(patch);
        }
        const status = await t.request("GET upload status", "GET", location);
        t.status(status, [204], "GET upload status");
        t.equal(status.headers.get("range"), `0-${f.chunked.size - 1}`, "status Range");
        const close = new URL(t.location(status));
        close.searchParams.set("digest", f.chunked.digest);
        t.status(await t.request("PUT close", "PUT", close.toString()), [201], "PUT closing the session");
        await blobPresent(t, t.repo(), f.chunked);
      },
    },
    {
      id: "push-chunk-out-of-order",
      category: "push",
      title: "a chunk that does not start where the last ended answers 416",
      spec: "end-5",
      run: async (t) => {
        const start = await t.request("POST upload", "POST", `/v2/${t.repo()}/blobs/uploads/`, {
          headers: { "content-length": "0" },
        });
        const location = t.location(start);
        const first = f.chunked.bytes.subarray(0, 1000);
        const patch = await t.request("PATCH first", "PATCH", location, {
          headers: { "content-range": "0-999", "content-length": "1000", "content-type": "application/octet-stream" },
          body: first,
        });
        t.status(patch, [202], "first PATCH");
        const skip = await t.request("PATCH out of order", "PATCH", t.location(patch), {
          headers: {
            "content-range": "2000-2999",
            "content-length": "1000",
            "content-type": "application/octet-stream",
          },
          body: f.chunked.bytes.subarray(2000, 3000),
        });
        t.status(skip, [416], "out-of-order PATCH");
        const status = await t.request("GET status after 416", "GET", t.location(patch));
        t.status(status, [204], "status after 416");
        t.equal(status.headers.get("range"), "0-999", "Range after 416");
      },
    },
    {
      id: "push-streamed-patch",
      category: "push",
      title: "a PATCH without Content-Range streams the whole blob",
      spec: "end-5",
      run: async (t) => {
        const start = await t.request("POST upload", "POST", `/v2/${t.repo()}/blobs/uploads/`);
        const patch = await t.request("PATCH stream", "PATCH", t.location(start), {
          headers: { "content-type": "application/octet-stream" },
          body: layer.bytes,
        });
        t.status(patch, [202], "streamed PATCH");
        const close = new URL(t.location(patch));
        close.searchParams.set("digest", layer.digest);
        t.status(await t.request("PUT close", "PUT", close.toString()), [201], "PUT close");
        await blobPresent(t, t.repo(), layer);
      },
    },
    {
      id: "push-cancel",
      category: "push",
      title: "DELETE on a session cancels it (204); it is then unknown (404)",
      spec: "end-14, end-13",
      run: async (t) => {
        const start = await t.request("POST upload", "POST", `/v2/${t.repo()}/blobs/uploads/`);
        const location = t.location(start);
        t.status(await t.request("DELETE session", "DELETE", location), [204], "DELETE session");
        t.error(
          await t.request("GET cancelled session", "GET", location),
          [404],
          "GET cancelled session",
          "BLOB_UPLOAD_UNKNOWN",
        );
      },
    },
    {
      id: "push-mount",
      category: "push",
      title: "a blob mounts from another repository (201) and is then pullable there",
      spec: "end-11",
      run: async (t) => {
        await pushBlob(t, t.repo("from"), layer);
        const mount = await t.request(
          "POST mount",
          "POST",
          `/v2/${t.repo("to")}/blobs/uploads/?mount=${layer.digest}&from=${t.repo("from")}`,
        );
        t.status(mount, [201], "mount");
        t.location(mount);
        t.digestHeader(mount, layer.digest, "mount");
        await blobPresent(t, t.repo("to"), layer);
      },
    },
    {
      id: "push-mount-missing",
      category: "push",
      title: "mounting a blob the source lacks opens an upload session instead (202)",
      spec: "end-11",
      run: async (t) => {
        const mount = await t.request(
          "POST mount missing",
          "POST",
          `/v2/${t.repo("to")}/blobs/uploads/?mount=${digestOf("absent")}&from=${t.repo("from")}`,
        );
        t.status(mount, [202], "mount of a missing blob");
        t.location(mount);
      },
    },
    {
      id: "push-mount-anonymous",
      category: "push",
      title: "a mount without `from` either mounts (201) or opens a session (202)",
      spec: "end-11",
      run: async (t) => {
        await pushBlob(t, t.repo("from"), config);
        const mount = await t.request(
          "POST anonymous mount",
          "POST",
          `/v2/${t.repo("to")}/blobs/uploads/?mount=${config.digest}`,
        );
        t.status(mount, [201, 202], "anonymous mount");
      },
    },
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
      id: "push-blob-digest-mismatch",
      category: "push",
      title: "an upload whose bytes do not match ?digest= is refused with DIGEST_INVALID",
      spec: "end-6, code-4",
      run: async (t) => {
        const start = await t.request("POST upload", "POST", `/v2/${t.repo()}/blobs/uploads/`);
        const location = new URL(t.location(start));
        location.searchParams.set("digest", config.digest);
        t.error(
          await t.request("PUT wrong bytes", "PUT", location.toString(), { body: layer.bytes }),
          [400],
          "PUT with mismatched digest",
          "DIGEST_INVALID",
        );
        t.status(
          await t.request("GET blob never stored", "GET", `/v2/${t.repo()}/blobs/${config.digest}`),
          [404],
          "blob after a refused upload",
        );
      },
    },
    {
      id: "push-blob-invalid-digest",
      category: "push",
      title: "an upload closed with a malformed digest is refused with 400",
      spec: "Pushing blobs",
      run: async (t) => {
        const start = await t.request("POST upload", "POST", `/v2/${t.repo()}/blobs/uploads/`);
        const location = new URL(t.location(start));
        location.searchParams.set("digest", "sha256:not-hex");
        t.error(
          await t.request("PUT malformed digest", "PUT", location.toString(), { body: layer.bytes }),
          [400],
          "PUT with a malformed digest",
          "DIGEST_INVALID",
        );
      },
    },
    {
      id: "push-empty-blob",
      category: "push",
      title: "the empty blob uploads and pulls",
      spec: "end-4a, end-6",
      run: async (t) => {
        await pushBlob(t, t.repo(), f.emptyBlob);
        await blobPresent(t, t.repo(), f.emptyBlob);
      },
    },
    {
      id: "push-sha512-blob",
      category: "push",
      title: "a sha512 blob uploads (with ?digest-algorithm=sha512) and pulls",
      spec: "end-4c",
      run: async (t) => {
        const start = await t.request(
          "POST sha512 upload",
          "POST",
          `/v2/${t.repo()}/blobs/uploads/?digest-algorithm=sha512`,
        );
        t.status(start, [202], "POST with digest-algorithm");
        const location = new URL(t.location(start));
        location.searchParams.set("digest", f.sha512Blob.digest);
        t.status(
          await t.request("PUT sha512", "PUT", location.toString(), { body: f.sha512Blob.bytes }),
          [201],
          "PUT sha512 blob",
        );
        await blobPresent(t, t.repo(), f.sha512Blob);
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
