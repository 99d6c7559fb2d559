// Pull (spec "Pull"): end-1, end-2, end-3.
import { MediaType, digestOf } from "@harbor-satellite/oci";
import type { Check, CheckContext } from "../check.js";
import type { Fixtures, Manifest } from "../fixtures.js";
import { pushManifest } from "../setup.js";

const ACCEPT = [MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifestList, MediaType.DockerManifest].join(
  ", ",
);

async function pullManifest(
  t: CheckContext,
  repo: string,
  reference: string,
  m: Manifest,
  what: string,
): Promise<void> {
  const get = await t.request(`GET manifest by ${what}`, "GET", `/v2/${repo}/manifests/${reference}`, {
    headers: { accept: ACCEPT },
  });
  t.status(get, [200], `GET manifest by ${what}`);
  t.ok(get.body.equals(m.bytes), `GET manifest by ${what}: bytes differ from what was pushed`);
  t.digestHeader(get, m.digest, `GET manifest by ${what}`);
  t.equal(get.headers.get("content-type")?.split(";")[0], m.mediaType, `GET manifest by ${what}: Content-Type`);
}

export function pullChecks(f: Fixtures): Check[] {
  return [
    {
      id: "ping",
      category: "pull",
      title: "GET /v2/ answers 200",
      spec: "end-1",
      run: async (t) => t.status(await t.request("GET /v2/", "GET", "/v2/"), [200], "GET /v2/"),
    },
    {
      id: "pull-manifest-by-tag",
      category: "pull",
      title: "an OCI manifest pulls by tag: exact bytes, digest and Content-Type",
      spec: "end-3",
      run: async (t) => {
        await pushManifest(t, t.repo(), "v1", f.image);
        await pullManifest(t, t.repo(), "v1", f.image, "tag");
      },
    },
    {
      id: "pull-manifest-by-digest",
      category: "pull",
      title: "an OCI manifest pulls by digest",
      spec: "end-3",
      run: async (t) => {
        await pushManifest(t, t.repo(), "v1", f.image);
        await pullManifest(t, t.repo(), f.image.digest, f.image, "digest");
      },
    },
    {
      id: "head-manifest",
      category: "pull",
      title: "HEAD on a manifest answers 200 with digest and length, by tag and digest",
      spec: "end-3",
      run: async (t) => {
        await pushManifest(t, t.repo(), "v1", f.image);
        for (const ref of ["v1", f.image.digest]) {
          const head = await t.request(
            `HEAD manifest ${ref === "v1" ? "tag" : "digest"}`,
            "HEAD",
            `/v2/${t.repo()}/manifests/${ref}`,
            { headers: { accept: ACCEPT } },
          );
          t.status(head, [200], "HEAD manifest");
          t.digestHeader(head, f.image.digest, "HEAD manifest");
          t.equal(head.headers.get("content-length"), String(f.image.bytes.length), "HEAD manifest: Content-Length");
          t.equal(head.body.length, 0, "HEAD manifest: body length");
        }
      },
    },
    {
      id: "pull-index",
      category: "pull",
      title: "an OCI index and its children pull with their digests",
      spec: "end-3",
      run: async (t) => {
        await pushManifest(t, t.repo(), "multi", f.index);
        await pullManifest(t, t.repo(), "multi", f.index, "tag");
        for (const child of f.index.children) await pullManifest(t, t.repo(), child.digest, child, "child digest");
      },
    },
    {
      id: "pull-nested-index",
      category: "pull",
      title: "an index whose child is an index pulls whole",
      spec: "end-3",
      run: async (t) => {
        await pushManifest(t, t.repo(), "nested", f.nestedIndex);
        await pullManifest(t, t.repo(), "nested", f.nestedIndex, "tag");
        await pullManifest(t, t.repo(), f.index.digest, f.index, "inner index digest");
      },
    },
    {
      id: "pull-docker-manifest-list",
      category: "pull",
      title: "a Docker manifest list and Docker schema 2 manifest keep their Content-Type",
      spec: "end-3",
      run: async (t) => {
        await pushManifest(t, t.repo(), "docker", f.dockerList);
        await pullManifest(t, t.repo(), "docker", f.dockerList, "tag");
        await pullManifest(t, t.repo(), f.dockerImage.digest, f.dockerImage, "child digest");
      },
    },
    {
      id: "pull-manifest-unknown",
      category: "pull",
      title: "unknown tags and digests answer 404 MANIFEST_UNKNOWN",
      spec: "end-3",
      run: async (t) => {
        await pushManifest(t, t.repo(), "v1", f.image);
        t.error(
          await t.request("GET unknown tag", "GET", `/v2/${t.repo()}/manifests/missing`, {
            headers: { accept: ACCEPT },
          }),
          [404],
          "GET unknown tag",
          "MANIFEST_UNKNOWN",
        );
        t.error(
          await t.request("GET unknown digest", "GET", `/v2/${t.repo()}/manifests/${digestOf("nothing")}`, {
            headers: { accept: ACCEPT },
          }),
          [404],
          "GET unknown digest",
          "MANIFEST_UNKNOWN",
        );
        t.status(
          await t.request("GET in unknown repository", "GET", `/v2/${t.repo("never")}/manifests/v1`, {
            headers: { accept: ACCEPT },
          }),
          [404],
          "GET in unknown repository",
        );
      },
    },
    {
      id: "pull-blob",
      category: "pull",
      title: "a blob pulls with its digest; HEAD gives its length",
      spec: "end-2",
      run: async (t) => {
        await pushManifest(t, t.repo(), "v1", f.image);
        for (const blob of f.image.blobs) {
          const get = await t.request("GET blob", "GET", `/v2/${t.repo()}/blobs/${blob.digest}`);
          t.status(get, [200], "GET blob");
          t.ok(get.body.equals(blob.bytes), "GET blob: bytes differ");
          t.digestHeader(get, blob.digest, "GET blob");
          const head = await t.request("HEAD blob", "HEAD", `/v2/${t.repo()}/blobs/${blob.digest}`);
          t.status(head, [200], "HEAD blob");
          t.equal(head.headers.get("content-length"), String(blob.size), "HEAD blob: Content-Length");
          t.digestHeader(head, blob.digest, "HEAD blob");
        }
      },
    },
    {
      id: "pull-blob-range",
      category: "pull",
      title: "a blob GET honours a Range (SHOULD, RFC 9110)",
      spec: "end-2",
      run: async (t) => {
        await pushManifest(t, t.repo(), "v1", f.image);
        const layer = f.image.blobs[1];
        const get = await t.request("GET blob range", "GET", `/v2/${t.repo()}/blobs/${layer.digest}`, {
          headers: { range: "bytes=100-1099" },
        });
        t.status(get, [206], "GET blob with Range");
        t.ok(get.body.equals(layer.bytes.subarray(100, 1100)), "GET blob with Range: wrong bytes");
        t.equal(get.headers.get("content-range"), `bytes 100-1099/${layer.size}`, "Content-Range");
        const past = await t.request("GET blob range past end", "GET", `/v2/${t.repo()}/blobs/${layer.digest}`, {
          headers: { range: `bytes=${layer.size}-` },
        });
        t.status(past, [416], "GET blob with a Range past its end");
      },
    },
    {
      id: "pull-blob-unknown",
      category: "pull",
      title: "an unknown blob answers 404 BLOB_UNKNOWN",
      spec: "end-2",
      run: async (t) => {
        await pushManifest(t, t.repo(), "v1", f.image);
        t.error(
          await t.request("GET unknown blob", "GET", `/v2/${t.repo()}/blobs/${digestOf("no such blob")}`),
          [404],
          "GET unknown blob",
          "BLOB_UNKNOWN",
        );
        t.status(
          await t.request("HEAD unknown blob", "HEAD", `/v2/${t.repo()}/blobs/${digestOf("no such blob")}`),
          [404],
          "HEAD unknown blob",
        );
      },
    },
  ];
}
