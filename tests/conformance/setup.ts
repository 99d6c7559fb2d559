// Putting content in place for a check, through the same API the checks test (POST then PUT
// for blobs, PUT for manifests). A setup step that fails fails the check, with its reason.
import type { CheckContext, Reply } from "./check.js";
import type { Blob, Manifest } from "./fixtures.js";

export async function pushBlob(t: CheckContext, repo: string, blob: Blob): Promise<void> {
  const start = await t.request("setup: start upload", "POST", `/v2/${repo}/blobs/uploads/`);
  t.status(start, [202], "setup: POST upload");
  const location = new URL(t.location(start));
  location.searchParams.set("digest", blob.digest);
  const put = await t.request("setup: finish upload", "PUT", location.toString(), {
    headers: { "content-type": "application/octet-stream", "content-length": String(blob.size) },
    body: blob.bytes,
  });
  t.status(put, [201], `setup: PUT blob ${blob.digest}`);
}

export async function putManifest(
  t: CheckContext,
  repo: string,
  reference: string,
  m: Manifest,
  label = "setup: PUT manifest",
): Promise<Reply> {
  return t.request(label, "PUT", `/v2/${repo}/manifests/${reference}`, {
    headers: { "content-type": m.mediaType },
    body: m.bytes,
  });
}

/** Pushes a manifest's blobs, then its children by digest (recursively), then itself. */
export async function pushManifest(t: CheckContext, repo: string, reference: string, m: Manifest): Promise<void> {
  for (const blob of m.blobs) await pushBlob(t, repo, blob);
  for (const child of m.children) await pushManifest(t, repo, child.digest, child);
  const put = await putManifest(t, repo, reference, m);
  t.status(put, [201], `setup: PUT manifest ${repo}:${reference}`);
}
