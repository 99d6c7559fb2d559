// Push (spec "Push"), blobs: end-4a/4b/4c, end-5, end-6, end-11, end-13, end-14 — sessions,
// single POSTs, chunks, cancels, cross-repository mounts, digests that do not match. Manifests
// are in push-manifests.ts.
import { digestOf } from "@harbor-satellite/oci";
import type { Check, CheckContext } from "../check.js";
import type { Blob, Fixtures } from "../fixtures.js";
import { pushBlob } from "../setup.js";

async function blobPresent(t: CheckContext, repo: string, blob: Blob): Promise<void> {
  const get = await t.request("GET pushed blob", "GET", `/v2/${repo}/blobs/${blob.digest}`);
  t.status(get, [200], "GET pushed blob");
  t.ok(get.body.equals(blob.bytes), "pushed blob reads back different bytes");
}

export function pushBlobChecks(f: Fixtures): Check[] {
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
  ];
}
