// Hardening issue 8, against the real agent process with Ground Control, the Harbor emulator and
// docker-registry: the token comes from --token-file and never shows in the process's argv; the
// local registry refuses anonymous pushes and deletes (and changes nothing); a blob lost on disk
// and tags a writer moved or deleted are put back by the next passes while the satellite-state
// digest stays the same; with --registry-write-credentials-file a writer pushes, anyone else gets
// 401 and a Basic challenge; skopeo and containerd's ctr pull the image the state names afterwards.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRegistryClient, type RegistryClient } from "@harbor-satellite/oci";
import { freePort, type SyntheticImage } from "@harbor-satellite/testkit";
import { startContainerd } from "../interop/containerd.js";
import { createEdgeSite, skopeoPullDigest, startSatelliteProcess, type AdminClients } from "./agent-helpers.js";
import { startFleetStack, type FleetStack } from "./fleet-stack.js";
import { eventually, GiveUp, REPO_ROOT, type RunningProcess } from "./processes.js";

const run = promisify(execFile);
const ADMIN_PASSWORD = "e2e-hardening-admin-password";
const WRITER = { user: "site-ci", password: "site push password" };
const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

describe("satellite registry hardening, end to end", () => {
  let stack: FleetStack;
  let sat: RunningProcess | undefined;
  let gcUrl: string;
  let upstreamUrl: string;
  let admin: AdminClients;
  let work: string;
  let dataDir: string;
  let satPort: number;
  let satUrl: string;
  let local: RegistryClient;
  let token: string;
  let images: Record<string, SyntheticImage>;

  beforeAll(async () => {
    stack = await startFleetStack({
      name: "sat-hardening",
      project: "library",
      images: ["library/hello:1.0", "library/world:2"],
      layerSizes: [48 << 10, 4 << 10],
      adminPassword: ADMIN_PASSWORD,
    });
    ({ gcUrl, admin, work, images } = stack);
    upstreamUrl = stack.upstream!.url;
    dataDir = join(work, "satellite");
    satPort = await freePort();
    satUrl = `http://127.0.0.1:${satPort}`;
    local = createRegistryClient({ url: satUrl, retry: { attempts: 1 } });

    await createEdgeSite(admin, {
      satellite: "edge-h",
      group: "edge-apps",
      artifacts: [
        { repository: "library/hello", tags: ["1.0"] },
        { repository: "library/world", tags: ["2"] },
      ],
    });
    token = (await admin.identity.issueZtrToken({ satellite: "edge-h" })).token;
  });

  afterAll(async () => {
    local?.close();
    const output = sat?.output() ?? "";
    if (process.env.AGENT_E2E_DUMP) process.stdout.write(output);
    await sat?.stop();
    await stack?.stop();
    if (token) expect(output).not.toContain(token);
  });

  const localDigest = async (repo: string, tag: string) => (await local.headManifest(repo, tag))?.digest;
  const appliedState = async () =>
    JSON.parse(await readFile(join(dataDir, "state.json"), "utf8")) as {
      satellite_state_digest: string;
      applied_at: string;
    };
  const storeFiles = async () => ({
    index: await readFile(join(dataDir, "index.json"), "utf8"),
    blobs: (await readdir(join(dataDir, "blobs", "sha256"))).sort(),
  });
  const blobFile = (digest: string) => join(dataDir, "blobs", "sha256", digest.slice("sha256:".length));
  const served = async () => {
    const [hello, world] = await Promise.all([localDigest("library/hello", "1.0"), localDigest("library/world", "2")]);
    if (hello !== images["library/hello"].manifestDigest || world !== images["library/world"].manifestDigest)
      throw new Error(`hello ${hello ?? "missing"}, world ${world ?? "missing"}`);
  };
  const alive = (p: RunningProcess) => {
    if (p.proc.exitCode !== null) throw new GiveUp(`satellite exited with ${p.proc.exitCode}: ${p.output()}`);
  };
  /** skopeo copies from the satellite; the manifest it got must be the one the state names. */
  const pullChecked = (repo: string, tag: string, creds?: string) => skopeoPullDigest(satPort, repo, tag, work, creds);
  /** skopeo copies world:2 from the upstream into the satellite as `destination`, pushing as `creds` (or anonymously). */
  const pushWorldAs = (creds: string | undefined, destination: string) =>
    run("skopeo", [
      "copy",
      "--preserve-digests",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      ...(creds ? ["--dest-creds", creds] : []),
      `docker://${new URL(upstreamUrl).host}/library/world:2`,
      `docker://127.0.0.1:${satPort}/${destination}`,
    ]);
  const repairLines = (output: string) =>
    output
      .split("\n")
      .filter((l) => l.includes("repaired from upstream"))
      .map((l) => JSON.parse(l) as { image: string; problem: string; from: string | null; to: string });

  it("enrols with --token-file; the token never appears in the process's argv", async () => {
    const tokenFile = join(work, "ztr-token");
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    sat = startSatelliteProcess({
      gcUrl,
      dataDir,
      registryPort: satPort,
      args: ["--token-file", tokenFile],
      env: { LOG_LEVEL: "info", TOKEN: "", SATELLITE_TOKEN: "" },
    });
    const proc = sat;
    const cmdline = (await readFile(`/proc/${proc.proc.pid}/cmdline`, "utf8")).split("\0");
    expect(cmdline).toContain("--token-file");
    expect(cmdline.join(" ")).not.toContain(token);
    await eventually(async () => (alive(proc), await served()), 90_000, "both images served by the satellite");
    expect(proc.output()).toContain("satellite enrolled (ztr as edge-h)");
    expect(proc.output()).not.toContain("--token is visible");
    expect((await readFile(`/proc/${proc.proc.pid}/cmdline`, "utf8")).includes(token)).toBe(false);
  });

  it("refuses anonymous pushes and deletes with 405 UNSUPPORTED and changes nothing", async () => {
    await eventually(async () => (await appliedState()).satellite_state_digest, 30_000, "state.json written");
    const before = await storeFiles();
    const world = images["library/world"];
    for (const [method, path, body] of [
      ["PUT", "/v2/library/hello/manifests/1.0", world.manifest],
      ["DELETE", "/v2/library/hello/manifests/1.0", undefined],
      ["DELETE", `/v2/library/hello/manifests/${images["library/hello"].manifestDigest}`, undefined],
      ["DELETE", `/v2/library/hello/blobs/${images["library/hello"].layers[0].digest}`, undefined],
      ["POST", "/v2/library/hello/blobs/uploads/", undefined],
    ] as const) {
      const res = await fetch(`${satUrl}${path}`, { method, body, headers: { "content-type": world.mediaType } });
      const error = (await res.json()) as { errors: { code: string }[] };
      expect([res.status, error.errors[0].code], `${method} ${path}`).toEqual([405, "UNSUPPORTED"]);
    }
    const pushed = await pushWorldAs(undefined, "library/hello:1.0").catch((e: { stderr?: string }) => e);
    expect((pushed as { stderr?: string }).stderr ?? "").toMatch(/405|unsupported|read-only/i);
    expect(await storeFiles()).toEqual(before);
    expect(await pullChecked("library/hello", "1.0")).toBe(images["library/hello"].manifestDigest);
  });

  it("puts back a blob lost on disk on a later pass, with the state digest unchanged", async () => {
    const digestBefore = (await appliedState()).satellite_state_digest;
    const layer = images["library/hello"].layers[0].digest;
    await rm(blobFile(layer));
    const proc = sat!;
    await eventually(
      async () => {
        alive(proc);
        const lines = repairLines(proc.output()).filter((l) => l.problem === `blob missing ${layer}`);
        if (lines.length === 0) throw new Error("no repair yet");
        return lines;
      },
      60_000,
      "the lost layer repaired",
    );
    expect(sha256(await readFile(blobFile(layer)))).toBe(layer);
    expect(await pullChecked("library/hello", "1.0")).toBe(images["library/hello"].manifestDigest);
    expect((await appliedState()).satellite_state_digest).toBe(digestBefore);
  });

  it("with --registry-write-credentials-file: writers push, anyone else gets 401 and a Basic challenge; tags a writer moved or deleted come back", async () => {
    // The credentials file holds an scrypt hash from `satellite hash-password`, not the password.
    const hashed = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, "bin/satellite.mjs"), "hash-password"], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.on("exit", (code) =>
        code === 0 ? resolve(out.trim()) : reject(new Error(`hash-password exited ${code}`)),
      );
      child.stdin.end(`${WRITER.password}\n`);
    });
    const credentials = join(work, "writers");
    await writeFile(credentials, `${WRITER.user}:${hashed}\n`, { mode: 0o600 });
    expect(await sat!.stop()).toBe(0);
    sat = startSatelliteProcess({
      gcUrl,
      dataDir,
      registryPort: satPort,
      args: ["--registry-write-credentials-file", credentials],
      env: { LOG_LEVEL: "info" },
    });
    const proc = sat;
    await eventually(async () => (alive(proc), await served()), 60_000, "the restarted satellite serving");
    const digestBefore = (await appliedState()).satellite_state_digest;
    const creds = `${WRITER.user}:${WRITER.password}`;

    // Anyone else: 401 UNAUTHORIZED with a Basic challenge.
    const anonymous = await fetch(`${satUrl}/v2/local/tool/blobs/uploads/`, { method: "POST" });
    expect([
      anonymous.status,
      ((await anonymous.json()) as { errors: { code: string }[] }).errors[0].code,
      anonymous.headers.get("www-authenticate"),
    ]).toEqual([401, "UNAUTHORIZED", 'Basic realm="harbor-satellite", charset="UTF-8"']);
    const wrong = await pushWorldAs(`${WRITER.user}:wrong`, "local/tool:1").catch((e: { stderr?: string }) => e);
    expect((wrong as { stderr?: string }).stderr ?? "").toMatch(/unauthorized|authentication required/i);

    // A writer pushes an image of its own, which the satellite leaves alone.
    await pushWorldAs(creds, "local/tool:1");
    expect(await pullChecked("local/tool", "1")).toBe(images["library/world"].manifestDigest);

    // A writer (or a stolen credential) moves hello:1.0 onto world's image and deletes world:2.
    await pushWorldAs(creds, "library/hello:1.0");
    const deleted = await fetch(`${satUrl}/v2/library/world/manifests/2`, {
      method: "DELETE",
      headers: { authorization: `Basic ${Buffer.from(creds).toString("base64")}` },
    });
    expect(deleted.status).toBe(202);

    await eventually(async () => (alive(proc), await served()), 60_000, "both tags back on the state's digests");
    expect(await pullChecked("library/hello", "1.0")).toBe(images["library/hello"].manifestDigest);
    expect(await pullChecked("library/world", "2")).toBe(images["library/world"].manifestDigest);
    expect((await appliedState()).satellite_state_digest).toBe(digestBefore);
    const lines = await eventually(
      async () => {
        const found = repairLines(proc.output());
        if (found.length < 2) throw new Error(`${found.length} repair lines`);
        return found;
      },
      30_000,
      "one log line per repair",
    );
    expect(lines.map((l) => [l.image, l.problem, l.from, l.to])).toEqual(
      expect.arrayContaining([
        [
          "library/hello:1.0",
          "tag moved",
          images["library/world"].manifestDigest,
          images["library/hello"].manifestDigest,
        ],
        ["library/world:2", "tag missing", null, images["library/world"].manifestDigest],
      ]),
    );
    expect(await localDigest("local/tool", "1")).toBe(images["library/world"].manifestDigest);
    expect(proc.output()).not.toContain(WRITER.password);

    // containerd pulls (anonymously, as a site's nodes do) and unpacks the repaired image.
    const containerd = await startContainerd(join(work, "containerd"));
    try {
      const ref = `127.0.0.1:${satPort}/library/hello:1.0`;
      await containerd.ctr("images", "pull", "--plain-http", "--snapshotter", "native", ref);
      const line = (await containerd.ctr("images", "ls")).split("\n").find((l) => l.startsWith(`${ref} `));
      expect(line?.split(/\s+/)[2]).toBe(images["library/hello"].manifestDigest);
    } finally {
      await containerd.stop();
    }
  });
});
