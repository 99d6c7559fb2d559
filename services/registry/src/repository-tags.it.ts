// ListRepositoryTags' Harbor side against the Harbor emulator over a real docker-registry: every
// tag with its artifact's digest and push time (a re-pushed tag is newer and names its new
// artifact), one entry per tag of a multi-tag artifact, and the refusals.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { createHarborClient, type HarborClient } from "@harbor-satellite/harbor";
import { InvalidArgumentError, NotFoundError } from "@harbor-satellite/rpc";
import { buildImage, makeBlobDir, pushImage, removeBlobDir, type SyntheticImage } from "@harbor-satellite/testkit";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { listRepositoryTags } from "./repository-tags.js";

const ADMIN = { username: "admin", password: "Harbor12345" };

describe("listRepositoryTags against the Harbor emulator", () => {
  let upstream: DockerRegistry;
  let emu: HarborEmulator;
  let harbor: HarborClient;
  let blobs: string;
  let one: SyntheticImage;
  let two: SyntheticImage;

  beforeAll(async () => {
    upstream = await startDockerRegistry();
    emu = await startHarborEmulator({ adminUser: ADMIN.username, adminPassword: ADMIN.password, upstream });
    harbor = createHarborClient({ url: emu.url, ...ADMIN });
    await harbor.ensureProject("apps", { public: false });
    blobs = await makeBlobDir();
    one = await buildImage({ layerSizes: [2048], dir: blobs, labels: { v: "1" } });
    two = await buildImage({ layerSizes: [2048], dir: blobs, labels: { v: "2" } });
  });
  afterEach(() => expect(emu.violations()).toEqual([]));
  afterAll(async () => {
    await emu?.stop();
    await upstream?.stop();
    if (blobs) await removeBlobDir(blobs);
  });

  const listing = async (repository: string) =>
    (await listRepositoryTags(harbor, repository))
      .map((t) => ({ name: t.name, digest: t.digest, at: timestampDate(t.pushTime!).getTime() }))
      .sort((a, b) => a.name.localeCompare(b.name));

  it("lists each tag with its artifact's digest and push time; a re-pushed tag moves and is newer", async () => {
    await pushImage(emu.url, "apps/team/web", "1.0", one, ADMIN);
    await pushImage(emu.url, "apps/team/web", "latest", one, ADMIN);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await pushImage(emu.url, "apps/team/web", "2.0", two, ADMIN);
    const first = await listing("apps/team/web");
    expect(first.map((t) => [t.name, t.digest])).toEqual([
      ["1.0", one.manifestDigest],
      ["2.0", two.manifestDigest],
      ["latest", one.manifestDigest],
    ]);
    const at = Object.fromEntries(first.map((t) => [t.name, t.at]));
    expect(at["2.0"]).toBeGreaterThan(at["1.0"]);

    await new Promise((resolve) => setTimeout(resolve, 5));
    await pushImage(emu.url, "apps/team/web", "1.0", two, ADMIN);
    const moved = Object.fromEntries((await listing("apps/team/web")).map((t) => [t.name, t]));
    expect(moved["1.0"].digest).toBe(two.manifestDigest);
    expect(moved["1.0"].at).toBeGreaterThan(at["2.0"]);
    expect(moved.latest).toEqual({ name: "latest", digest: one.manifestDigest, at: at.latest });
  });

  it("is NotFound for a repository or project Harbor does not have, InvalidArgument for a name without project", async () => {
    await expect(listRepositoryTags(harbor, "apps/missing")).rejects.toBeInstanceOf(NotFoundError);
    await expect(listRepositoryTags(harbor, "nope/web")).rejects.toBeInstanceOf(NotFoundError);
    await expect(listRepositoryTags(harbor, "web")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(listRepositoryTags(harbor, "Apps/Web")).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
