// Content management (spec "Content Management"): end-9 tag and manifest delete, end-10 blob
// delete.
import { MediaType, digestOf } from "@harbor-satellite/oci";
import type { Check } from "../check.js";
import type { Fixtures } from "../fixtures.js";
import { pushBlob, pushManifest } from "../setup.js";

const ACCEPT = { accept: [MediaType.OciManifest, MediaType.OciIndex].join(", ") };

export function managementChecks(f: Fixtures): Check[] {
  return [
    {
      id: "delete-tag",
      category: "management",
      title:
        "DELETE of a tag answers 202 (the tag is then 404, the manifest stays), or 400/405 when tag deletion is disabled",
      spec: "end-9 (tag)",
      run: async (t) => {
        await pushManifest(t, t.repo(), "doomed", f.image);
        await pushManifest(t, t.repo(), "kept", f.image);
        const del = await t.request("DELETE tag", "DELETE", `/v2/${t.repo()}/manifests/doomed`);
        t.status(del, [202, 400, 405], "DELETE tag");
        if (del.status !== 202) {
          t.status(
            await t.request("GET tag deletion refused", "GET", `/v2/${t.repo()}/manifests/doomed`, { headers: ACCEPT }),
            [200],
            "GET a tag whose deletion was refused",
          );
          return;
        }
        t.status(
          await t.request("GET deleted tag", "GET", `/v2/${t.repo()}/manifests/doomed`, { headers: ACCEPT }),
          [404],
          "GET deleted tag",
        );
        t.status(
          await t.request("GET other tag", "GET", `/v2/${t.repo()}/manifests/kept`, { headers: ACCEPT }),
          [200],
          "GET the other tag",
        );
      },
    },
    {
      id: "delete-manifest",
      category: "management",
      title: "DELETE of a manifest by digest answers 202; digest and its tags are then 404",
      spec: "end-9 (digest)",
      run: async (t) => {
        await pushManifest(t, t.repo(), "v1", f.image);
        t.status(
          await t.request("DELETE manifest", "DELETE", `/v2/${t.repo()}/manifests/${f.image.digest}`),
          [202],
          "DELETE manifest",
        );
        t.status(
          await t.request("GET deleted digest", "GET", `/v2/${t.repo()}/manifests/${f.image.digest}`, {
            headers: ACCEPT,
          }),
          [404],
          "GET deleted manifest",
        );
        t.status(
          await t.request("GET tag of deleted", "GET", `/v2/${t.repo()}/manifests/v1`, { headers: ACCEPT }),
          [404],
          "GET a tag of a deleted manifest",
        );
      },
    },
    {
      id: "delete-manifest-unknown",
      category: "management",
      title: "DELETE of an unknown manifest answers 404",
      spec: "end-9",
      run: async (t) => {
        await pushManifest(t, t.repo(), "v1", f.image);
        t.error(
          await t.request("DELETE unknown manifest", "DELETE", `/v2/${t.repo()}/manifests/${digestOf("nothing")}`),
          [404],
          "DELETE unknown manifest",
          "MANIFEST_UNKNOWN",
        );
      },
    },
    {
      id: "delete-blob",
      category: "management",
      title: "DELETE of a blob answers 202; it is then 404",
      spec: "end-10",
      run: async (t) => {
        const [, layer] = f.image.blobs;
        await pushBlob(t, t.repo(), layer);
        t.status(
          await t.request("DELETE blob", "DELETE", `/v2/${t.repo()}/blobs/${layer.digest}`),
          [202],
          "DELETE blob",
        );
        t.status(
          await t.request("GET deleted blob", "GET", `/v2/${t.repo()}/blobs/${layer.digest}`),
          [404],
          "GET deleted blob",
        );
      },
    },
    {
      id: "delete-blob-unknown",
      category: "management",
      title: "DELETE of an unknown blob answers 404",
      spec: "end-10",
      run: async (t) => {
        await pushBlob(t, t.repo(), f.image.blobs[0]);
        t.error(
          await t.request("DELETE unknown blob", "DELETE", `/v2/${t.repo()}/blobs/${digestOf("no blob")}`),
          [404],
          "DELETE unknown blob",
          "BLOB_UNKNOWN",
        );
      },
    },
    {
      id: "delete-then-repush",
      category: "management",
      title: "a deleted manifest can be pushed again and pulls",
      spec: "end-9, end-7a",
      run: async (t) => {
        await pushManifest(t, t.repo(), "v1", f.image);
        t.status(
          await t.request("DELETE manifest", "DELETE", `/v2/${t.repo()}/manifests/${f.image.digest}`),
          [202],
          "DELETE manifest",
        );
        await pushManifest(t, t.repo(), "v1", f.image);
        const get = await t.request("GET re-pushed", "GET", `/v2/${t.repo()}/manifests/v1`, { headers: ACCEPT });
        t.status(get, [200], "GET re-pushed manifest");
        t.digestHeader(get, f.image.digest, "GET re-pushed manifest");
      },
    },
  ];
}
