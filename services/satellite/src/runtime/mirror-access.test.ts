// The satellite's own registry with TLS and read credentials: containerd's hosts.toml carries the
// CA and a reader's Authorization header on the satellite's host entry (the file created 0600),
// and the runtimes that cannot carry them get notes saying what the operator must do.
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configureMirrors } from "./configure-mirrors.js";
import { planHostsToml } from "./containerd.js";
import { accessNotes, basicAuthorization } from "./mirror-access.js";
import { parseMirrorFlags } from "./mirror-spec.js";

const auth = basicAuthorization("node", "pull-secret");

describe("mirror access", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "hs-mirror-access-"))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("writes ca and the Authorization header on the satellite's https host, keeping other headers", () => {
    const first = planHostsToml(undefined, "hosts.toml", "docker.io", "https://10.0.0.2:8585", undefined, {
      ca: "/etc/satellite/tls.crt",
      authorization: auth,
    });
    expect(parse(first!)).toEqual({
      server: "https://docker.io",
      host: {
        "https://10.0.0.2:8585": {
          capabilities: ["pull", "resolve"],
          ca: "/etc/satellite/tls.crt",
          header: { Authorization: [auth] },
        },
      },
    });
    expect(
      planHostsToml(first, "hosts.toml", "docker.io", "https://10.0.0.2:8585", undefined, {
        ca: "/etc/satellite/tls.crt",
        authorization: auth,
      }),
    ).toBeUndefined();
    const withOther = first!.replace(
      `Authorization = [ "${auth}" ]`,
      `Authorization = [ "${auth}" ]\nX-Site = [ "a" ]`,
    );
    expect(withOther).toContain("X-Site");
    // Read credentials dropped: the header goes, other headers stay; TLS dropped: ca goes.
    expect(
      parse(
        planHostsToml(withOther, "hosts.toml", "docker.io", "https://10.0.0.2:8585", undefined, {
          ca: "/etc/satellite/tls.crt",
        })!,
      ),
    ).toMatchObject({
      host: { "https://10.0.0.2:8585": { ca: "/etc/satellite/tls.crt", header: { "X-Site": ["a"] } } },
    });
    expect(parse(planHostsToml(first, "hosts.toml", "docker.io", "https://10.0.0.2:8585")!)).toEqual({
      server: "https://docker.io",
      host: { "https://10.0.0.2:8585": { capabilities: ["pull", "resolve"] } },
    });
  });

  it("creates hosts.toml readable by its owner only when it holds credentials, and notes what other runtimes need", async () => {
    const paths = {
      containerdConfig: join(dir, "config.toml"),
      containerdCertsDir: join(dir, "certs.d"),
      dockerDaemonJson: join(dir, "daemon.json"),
      registriesConf: join(dir, "registries.conf"),
    };
    await writeFile(paths.registriesConf, "");
    const report = await configureMirrors({
      specs: parseMirrorFlags(["containerd:docker.io", "docker:true", "podman:docker.io"]),
      mirror: "https://10.0.0.2:8585",
      mirrorAccess: { ca: "/etc/satellite/tls.crt", authorization: auth },
      paths,
    });
    expect(report.failed).toBe(false);
    const hosts = join(paths.containerdCertsDir, "docker.io", "hosts.toml");
    expect((await stat(hosts)).mode & 0o777).toBe(0o600);
    expect(await readFile(hosts, "utf8")).toContain('[host."https://10.0.0.2:8585".header]');
    expect(JSON.parse(await readFile(paths.dockerDaemonJson, "utf8"))["registry-mirrors"]).toEqual([
      "https://10.0.0.2:8585",
    ]);
    const notes = Object.fromEntries(report.outcomes.map((o) => [o.runtime, "notes" in o ? o.notes.join(" | ") : ""]));
    expect(notes.containerd).not.toMatch(/credentials|ca\.crt|\*\.crt/);
    expect(notes.docker).toMatch(/\/etc\/docker\/certs\.d\/10\.0\.0\.2:8585\/ca\.crt.*cannot carry credentials/);
    expect(notes.podman).toMatch(/\/etc\/containers\/certs\.d\/10\.0\.0\.2:8585.*log podman in/);
    expect(JSON.stringify(report)).not.toContain(auth);
  });

  it("has no notes without access", () => {
    expect(accessNotes("docker", "h:1", undefined)).toEqual([]);
    expect(accessNotes("crio", "h:1", { ca: "/c.pem" })).toEqual([
      "crio trusts h:1 with /etc/containers/certs.d/h:1/*.crt: copy /c.pem there",
    ]);
  });
});
