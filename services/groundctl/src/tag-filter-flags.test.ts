// Tag filters in groundctl: --tag-regex/--semver/--newest REPO=…, the file keys, what is refused
// before anything is sent, and how groups with filters are shown.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode } from "./exit-codes.js";
import { parseGroupFile } from "./group-spec.js";
import { run } from "./run.js";
import { artifactsFromFilterFlags, mergeFilters } from "./tag-filter-flags.js";
import { captureIo, createFakeGroundControl, FAKE_PASSWORD, type FakeGroundControl } from "./testing.js";

const none = { tagRegex: [], semver: [], newest: [] };

describe("tag filter flags", () => {
  it("reads REPO=VALUE, one artifact per repository in order of appearance, splitting at the first '='", () => {
    expect(
      artifactsFromFilterFlags({
        tagRegex: ["apps/api=^main-[0-9a-f]{7}$", "apps/web=^v?1\\."],
        semver: ["apps/web=>=1.2 <2"],
        newest: ["apps/web=3"],
      }),
    ).toEqual([
      { repository: "apps/api", tags: [], tagRegex: "^main-[0-9a-f]{7}$" },
      { repository: "apps/web", tags: [], tagRegex: "^v?1\\.", semverRange: ">=1.2 <2", newestCount: 3 },
    ]);
    expect(artifactsFromFilterFlags(none)).toEqual([]);
  });

  it.each([
    [{ ...none, semver: ["apps/web"] }, '--semver "apps/web": expected REPO=VALUE'],
    [{ ...none, semver: ["=^1"] }, '--semver "=^1": expected REPO=VALUE'],
    [{ ...none, tagRegex: ["apps/web="] }, '--tag-regex "apps/web=": expected REPO=VALUE'],
    [{ ...none, semver: ["apps/web=^1", "apps/web=^2"] }, "--semver given twice for apps/web"],
    [
      { ...none, semver: ["apps/web=^1"], newest: ["apps/web=0"] },
      'newest count "0" must be a whole number of at least 1',
    ],
    [{ ...none, semver: ["apps/web=^1"], newest: ["apps/web=-1"] }, 'newest count "-1" must be a whole number'],
    [{ ...none, semver: ["apps/web=^1"], newest: ["apps/web=2.5"] }, 'newest count "2.5" must be a whole number'],
    [{ ...none, newest: ["apps/web=2"] }, "--newest apps/web=… needs --tag-regex or --semver for apps/web"],
  ])("refuses %j", (flags, message) => {
    expect(() => artifactsFromFilterFlags(flags)).toThrow(message);
  });

  it("puts a filter beside the tags an --image already lists for its repository", () => {
    const filtered = artifactsFromFilterFlags({ ...none, semver: ["apps/web=^1"] });
    expect(mergeFilters([{ repository: "apps/web", tags: ["latest"] }], filtered)).toEqual([
      { repository: "apps/web", tags: ["latest"], semverRange: "^1" },
    ]);
    expect(mergeFilters([{ repository: "apps/db", tags: ["16"] }], filtered)).toEqual([
      { repository: "apps/db", tags: ["16"] },
      { repository: "apps/web", tags: [], semverRange: "^1" },
    ]);
  });

  it("reads filters from a group file, in snake_case or camelCase, the count as a number", () => {
    const spec = parseGroupFile(
      [
        "name: web",
        "artifacts:",
        "  - repository: apps/web",
        '    semver_range: ">=1.2 <2"',
        "    newest_count: 2",
        "  - repository: apps/api",
        "    tagRegex: ^main-",
        "",
      ].join("\n"),
      "web.yaml",
    );
    expect(spec.artifacts).toEqual([
      { repository: "apps/web", tags: [], semverRange: ">=1.2 <2", newestCount: 2 },
      { repository: "apps/api", tags: [], tagRegex: "^main-" },
    ]);
    expect(() => parseGroupFile("artifacts:\n  - repository: apps/web\n    newest_count: 2\n", "f")).toThrow(
      "f: artifacts[0]: newest_count needs tag_regex or semver_range",
    );
    expect(() =>
      parseGroupFile("artifacts:\n  - repository: apps/web\n    semver_range: ^1\n    newest_count: none\n", "f"),
    ).toThrow('f: artifacts[0].newest_count: newest count "none" must be a whole number of at least 1');
    expect(() =>
      parseGroupFile("artifacts:\n  - repository: apps/web\n    semver_range: ^1\n    semverRange: ^2\n", "f"),
    ).toThrow("f: artifacts[0]: semverRange is given twice");
  });
});

describe("groundctl groups with tag filters, in-process", () => {
  let dir: string;
  let fake: FakeGroundControl;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "groundctl-filters-"));
    fake = createFakeGroundControl();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const groundctl = async (argv: string[], stdin?: string) => {
    const io = captureIo(fake, join(dir, "config"), stdin);
    const code = await run(argv, io);
    return { code, out: io.out, err: io.err };
  };
  const login = () => groundctl(["login", "--url", "http://gc.test:8080", "--password-stdin"], `${FAKE_PASSWORD}\n`);

  it("sends the filters of --semver/--tag-regex/--newest and -f FILE, and shows them", async () => {
    await login();
    const created = await groundctl([
      "groups",
      "create",
      "web",
      "--semver",
      "apps/web=>=1.2 <2",
      "--newest",
      "apps/web=2",
      "--image",
      "apps/db:16",
    ]);
    expect(created.code).toBe(ExitCode.Ok);
    await writeFile(join(dir, "api.yaml"), "artifacts:\n  - repository: apps/api\n    tag_regex: ^main-\n");
    expect((await groundctl(["groups", "update", "web", "-f", join(dir, "api.yaml")])).code).toBe(ExitCode.Ok);
    expect(fake.calls).toEqual([
      'CreateGroup {"group":"web","artifacts":[{"repository":"apps/db","tags":["16"]},{"repository":"apps/web","tags":[],"semverRange":">=1.2 <2","newestCount":2}]}',
      'UpdateGroup {"group":"web","artifacts":[{"repository":"apps/api","tags":[],"tagRegex":"^main-"}],"clearArtifacts":false}',
    ]);

    await groundctl([
      "groups",
      "update",
      "web",
      "--semver",
      "apps/web=^1",
      "--newest",
      "apps/web=3",
      "--image",
      "apps/db:16",
    ]);
    const shown = await groundctl(["groups", "get", "web"]);
    expect(shown.out).toContain(
      [
        "REPOSITORY  TAGS  FILTER                 DIGEST  TYPE",
        "apps/db     16    -                      -       image",
        'apps/web    -     semver "^1", newest 3  -       image',
      ].join("\n"),
    );
    expect((await groundctl(["groups", "list"])).out).toContain('apps/db:16 apps/web[semver "^1", newest 3]');
  });

  it("refuses a count below 1 or a --newest without a filter with exit 2, sending nothing", async () => {
    await login();
    const calls = fake.calls.length;
    for (const argv of [
      ["groups", "create", "web", "--semver", "apps/web=^1", "--newest", "apps/web=0"],
      ["groups", "create", "web", "--newest", "apps/web=2", "--image", "apps/web:1"],
      ["groups", "update", "web", "--tag-regex", "apps/web"],
    ]) {
      const res = await groundctl(argv);
      expect(res.code, argv.join(" ")).toBe(ExitCode.Usage);
      expect(res.err).toMatch(/^groundctl: /);
    }
    expect(fake.calls.slice(calls)).toEqual([]);
  });
});
