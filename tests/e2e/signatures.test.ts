// Issue 13 item 5 end to end: signatures and referrers. Ground Control, PostgreSQL, the Harbor
// emulator over docker-registry 2.8 (no referrers API: the tag-schema fallback) and the satellite
// are real processes; signatures are made in cosign's wire format by testkit's signer and pushed
// through Harbor as cosign does (`sha256-<hex>.sig`). Ground Control's config turns
// require_signature on with one trusted key: the signed image is replicated with its signature
// and pulled by skopeo; an unsigned image and one signed with an untrusted key are replicated but
// refused by the satellite's registry (DENIED), and the heartbeat says which and why; the
// satellite's referrers API lists the replicated signature.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@harbor-satellite/testkit";
import { generateSigningKey, pushCosignSignature, signatureTag } from "@harbor-satellite/testkit/cosign-signer";
import { createEdgeSite, FAST_CONFIG } from "./agent-helpers.js";
import { HARBOR, startFleetStack, type FleetStack } from "./fleet-stack.js";
import { eventually, GiveUp, startProcess, type RunningProcess } from "./processes.js";
import { startContainerd } from "../interop/containerd.js";

const run = promisify(execFile);
const ADMIN_PASSWORD = "e2e-signatures-admin-password";
const trusted = generateSigningKey("ecdsa-p256");
const stranger = generateSigningKey("ecdsa-p256");

describe("signatures and referrers, end to end", () => {
  let stack: FleetStack;
  let sat: RunningProcess | undefined;
  let satUrl: string;
  let satAddr: string;
  const digests: Record<string, string> = {};
  const sigDigests: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startFleetStack({
      name: "signatures-e2e",
      project: "apps",
      images: ["apps/signed:1.0", "apps/unsigned:1.0", "apps/forged:1.0"],
      layerSizes: [64 << 10],
      adminPassword: ADMIN_PASSWORD,
    });
    for (const name of ["signed", "unsigned", "forged"]) digests[name] = stack.images[`apps/${name}`].manifestDigest;
    for (const [name, key] of [
      ["signed", trusted],
      ["forged", stranger],
    ] as const) {
      const [sig] = await pushCosignSignature(
        stack.emu.url,
        `apps/${name}`,
        { signedDigest: digests[name], key, dockerReference: `harbor.example/apps/${name}` },
        { auth: HARBOR },
      );
      sigDigests[name] = sig.manifest.digest;
    }
    satAddr = `127.0.0.1:${await freePort()}`;
    satUrl = `http://${satAddr}`;
  });

  afterAll(async () => {
    const output = sat?.output() ?? "";
    await sat?.stop();
    await stack?.stop();
    if (process.env.AGENT_E2E_DUMP) process.stdout.write(output);
  });

  const status = async () => (await stack.admin.heartbeat.getSatelliteStatus({ satellite: "edge-sig" })).status!;
  const alive = () => {
    if (sat && sat.proc.exitCode !== null)
      throw new GiveUp(`satellite exited with ${sat.proc.exitCode}: ${sat.output()}`);
  };

  it("replicates the images with their signatures under Ground Control's require_signature config", async () => {
    const config = {
      app_config: {
        ...FAST_CONFIG.app_config,
        signature_policy: { require_signature: true, trusted_keys: [trusted.publicKeyPem] },
      },
    };
    await createEdgeSite(stack.admin, {
      satellite: "edge-sig",
      config: "signed-only",
      configJson: config,
      group: "apps",
      artifacts: ["signed", "unsigned", "forged"].map((name) => ({ repository: `apps/${name}`, tags: ["1.0"] })),
    });
    const token = (await stack.admin.identity.issueZtrToken({ satellite: "edge-sig" })).token;
    sat = startProcess(
      "satellite",
      [
        "--token",
        token,
        "--ground-control-url",
        stack.gcUrl,
        "--data-dir",
        join(stack.work, "satellite"),
        "--registry-addr",
        satAddr,
      ],
      { LOG_LEVEL: "info" },
    );
    // The signature arrives by its cosign tag: docker-registry answers 404 to the referrers API.
    const sigTag = signatureTag(digests.signed);
    const held = await eventually(
      async () => {
        alive();
        const res = await fetch(`${satUrl}/v2/apps/signed/manifests/${sigTag}`, {
          headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
        });
        if (res.status !== 200) throw new Error(`signature not served yet: ${res.status}`);
        return res;
      },
      120_000,
      "the signed image's .sig tag on the satellite",
    );
    expect(held.headers.get("docker-content-digest")).toBe(sigDigests.signed);
    // The policy came with the config of the pass that brought the images, ahead of them: the
    // unsigned image, stored in that same pass, is refused already.
    expect((await fetch(`${satUrl}/v2/apps/unsigned/manifests/1.0`, { method: "HEAD" })).status).toBe(403);
    // Logged once the image's referrers are all in (the .sig tag may be served a moment before).
    await eventually(
      async () => {
        if (!/"discovery":"tag-schema".*"msg":"referrers replicated"/.test(sat!.output()))
          throw new Error("no referrers log line yet");
      },
      30_000,
      "the referrers log line",
    );
  });

  it("lets skopeo pull the image whose signature verifies with the trusted key", async () => {
    const inspected = JSON.parse(
      (await run("skopeo", ["inspect", "--tls-verify=false", `docker://${satAddr}/apps/signed:1.0`])).stdout,
    ) as { Digest: string };
    expect(inspected.Digest).toBe(digests.signed);
    const out = join(stack.work, "pulled-signed");
    await run("skopeo", ["copy", "--src-tls-verify=false", `docker://${satAddr}/apps/signed:1.0`, `dir:${out}`]);
  });

  it("lets containerd's ctr pull the signed image and not the unsigned one", async () => {
    const containerd = await startContainerd(join(stack.work, "containerd"));
    try {
      const pull = (name: string) =>
        containerd.ctr("images", "pull", "--plain-http", "--snapshotter", "native", `${satAddr}/apps/${name}:1.0`);
      await pull("signed");
      const line = (await containerd.ctr("images", "ls"))
        .split("\n")
        .find((l) => l.startsWith(`${satAddr}/apps/signed:1.0 `));
      expect(line?.split(/\s+/)[2]).toBe(digests.signed);
      const refused = await pull("unsigned").then(
        () => "pulled",
        (error: Error) => error.message,
      );
      expect(refused).toMatch(/403|denied/i);
    } finally {
      await containerd.stop();
    }
  });

  it("refuses the unsigned and the untrusted-signed image with DENIED and the reason", async () => {
    for (const [name, reason] of [
      ["unsigned", "no cosign signature found"],
      ["forged", "signature does not verify with any trusted key"],
    ] as const) {
      const res = await fetch(`${satUrl}/v2/apps/${name}/manifests/1.0`);
      expect(res.status).toBe(403);
      const body = (await res.json()) as { errors: { code: string; message: string }[] };
      expect(body.errors[0]).toMatchObject({ code: "DENIED", message: `signature required: ${reason}` });
      const pull = await run("skopeo", ["inspect", "--tls-verify=false", `docker://${satAddr}/apps/${name}:1.0`]).then(
        () => "pulled",
        (error: { stderr?: string }) => error.stderr ?? "",
      );
      expect(pull).toMatch(/denied/i);
    }
    // The image is there (replicated), only not served: its blobs and signature are.
    expect((await fetch(`${satUrl}/v2/apps/forged/manifests/${signatureTag(digests.forged)}`)).status).toBe(200);
  });

  it("says in the heartbeat which images are refused and why", async () => {
    const errors = await eventually(
      async () => {
        alive();
        const latest = (await status()).latest;
        const found = (latest?.errors ?? []).filter((e) => e.message.startsWith("not served: signature required"));
        if (found.length < 2) throw new Error(`not yet: ${JSON.stringify(latest?.errors)}`);
        return found;
      },
      60_000,
      "a heartbeat naming the refused images",
    );
    expect(errors.map((e) => [e.reference, e.message]).sort()).toEqual([
      [
        "apps/forged:1.0",
        "not served: signature required (signature-invalid): signature does not verify with any trusted key",
      ],
      ["apps/unsigned:1.0", "not served: signature required (unsigned): no cosign signature found"],
    ]);
  });

  it("lists the replicated signature in the satellite's referrers API", async () => {
    const res = await fetch(`${satUrl}/v2/apps/signed/referrers/${digests.signed}`);
    expect(res.status).toBe(200);
    const index = (await res.json()) as { manifests: { digest: string; artifactType?: string }[] };
    expect(index.manifests).toEqual([
      expect.objectContaining({
        digest: sigDigests.signed,
        artifactType: "application/vnd.dev.cosign.artifact.sig.v1+json",
      }),
    ]);
  });
});

// The same path with an upstream that has the referrers API: the Harbor emulator answers it as
// Harbor does, and the signature exists only as an OCI 1.1 referrer (no .sig tag).
describe("signatures as referrers from a Harbor with the referrers API, end to end", () => {
  const edKey = generateSigningKey("ed25519");
  let stack: FleetStack;
  let sat: RunningProcess | undefined;
  let satAddr: string;
  let imageDigest: string;
  let referrerDigest: string;

  beforeAll(async () => {
    stack = await startFleetStack({
      name: "referrers-e2e",
      project: "apps",
      images: ["apps/web:2.0"],
      layerSizes: [64 << 10],
      adminPassword: ADMIN_PASSWORD,
      harborReferrersApi: true,
    });
    const image = stack.images["apps/web"];
    imageDigest = image.manifestDigest;
    const [sig] = await pushCosignSignature(
      stack.emu.url,
      "apps/web",
      { signedDigest: imageDigest, key: edKey },
      {
        as: "referrer",
        subject: { mediaType: image.mediaType, digest: imageDigest, size: image.manifest.length },
        auth: HARBOR,
      },
    );
    referrerDigest = sig.manifest.digest;
    satAddr = `127.0.0.1:${await freePort()}`;
  });

  afterAll(async () => {
    const output = sat?.output() ?? "";
    await sat?.stop();
    await stack?.stop();
    if (process.env.AGENT_E2E_DUMP) process.stdout.write(output);
  });

  it("replicates the referrer found with the referrers API, verifies it and serves the image", async () => {
    const config = {
      app_config: {
        ...FAST_CONFIG.app_config,
        signature_policy: { require_signature: true, trusted_keys: [edKey.publicKeyPem] },
      },
    };
    await createEdgeSite(stack.admin, {
      satellite: "edge-ref",
      config: "signed-only",
      configJson: config,
      group: "web",
      artifacts: [{ repository: "apps/web", tags: ["2.0"] }],
    });
    const token = (await stack.admin.identity.issueZtrToken({ satellite: "edge-ref" })).token;
    sat = startProcess(
      "satellite",
      [
        "--token",
        token,
        "--ground-control-url",
        stack.gcUrl,
        "--data-dir",
        join(stack.work, "sat"),
        "--registry-addr",
        satAddr,
      ],
      { LOG_LEVEL: "info" },
    );
    const listed = await eventually(
      async () => {
        if (sat!.proc.exitCode !== null) throw new GiveUp(`satellite exited: ${sat!.output()}`);
        const res = await fetch(`http://${satAddr}/v2/apps/web/referrers/${imageDigest}`);
        const index = (await res.json()) as { manifests?: { digest: string; artifactType?: string }[] };
        if (!index.manifests?.length) throw new Error(`no referrers yet: ${res.status}`);
        return index.manifests;
      },
      120_000,
      "the referrer on the satellite",
    );
    expect(listed).toEqual([
      expect.objectContaining({
        digest: referrerDigest,
        artifactType: "application/vnd.dev.cosign.artifact.sig.v1+json",
      }),
    ]);
    // The store serves the referrer before the satellite's log line about it reaches our pipe.
    await eventually(
      async () => expect(sat!.output()).toMatch(/"discovery":"referrers-api"/),
      10_000,
      "the satellite's log of how it found the referrer",
    );
    // No .sig tag upstream, so none here either: the referrer is the signature.
    expect((await fetch(`http://${satAddr}/v2/apps/web/manifests/${signatureTag(imageDigest)}`)).status).toBe(404);
    await eventually(
      async () => {
        const inspected = JSON.parse(
          (await run("skopeo", ["inspect", "--tls-verify=false", `docker://${satAddr}/apps/web:2.0`])).stdout,
        ) as { Digest: string };
        expect(inspected.Digest).toBe(imageDigest);
        const latest = (await stack.admin.heartbeat.getSatelliteStatus({ satellite: "edge-ref" })).status?.latest;
        if (!latest || latest.errors.length > 0) throw new Error(`heartbeat: ${JSON.stringify(latest?.errors)}`);
      },
      60_000,
      "the image served under require_signature and a heartbeat without errors",
    );
  });
});
