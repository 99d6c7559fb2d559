import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { fields, formatAge, formatTime, parseOutputFormat, render, table } from "./output.js";

describe("output", () => {
  it("aligns table columns under upper-case headers, with no trailing spaces", () => {
    expect(
      table(
        ["name", "health", "images"],
        [
          ["edge-1", "online", "2"],
          ["a-much-longer-name", "never_seen", ""],
        ],
      ),
    ).toBe(
      "NAME                HEALTH      IMAGES\nedge-1              online      2\na-much-longer-name  never_seen\n",
    );
    expect(table(["name"], [])).toBe("NAME\n");
  });

  it("lines up key: value fields", () => {
    expect(
      fields([
        ["Name", "edge-1"],
        ["Last seen", "never"],
        ["Groups", ""],
      ]),
    ).toBe("Name:       edge-1\nLast seen:  never\nGroups:\n");
  });

  it("renders the same data as JSON or YAML, and the table for people", () => {
    const view = { data: [{ name: "web", tags: ["1.10"], count: 2 }], table: () => "WEB" };
    expect(render(view, "json")).toBe(
      '[\n  {\n    "name": "web",\n    "tags": [\n      "1.10"\n    ],\n    "count": 2\n  }\n]\n',
    );
    expect(render(view, "yaml")).toBe('- name: web\n  tags:\n    - "1.10"\n  count: 2\n');
    expect(render(view, "table")).toBe("WEB\n");
    expect(render({ data: null, table: () => "" }, "table")).toBe("");
  });

  it("accepts table, json and yaml only", () => {
    expect(parseOutputFormat(undefined)).toBe("table");
    expect(parseOutputFormat("yaml")).toBe("yaml");
    expect(() => parseOutputFormat("JSON")).toThrow(/--output must be table, json or yaml/);
  });

  it("writes times to the second, ages in the largest whole unit", () => {
    const now = new Date("2025-01-02T03:04:05.678Z");
    const ago = (s: number) => timestampFromDate(new Date(now.getTime() - s * 1000));
    expect(formatTime(timestampFromDate(now))).toBe("2025-01-02T03:04:05Z");
    expect(formatTime(undefined)).toBe("-");
    expect([5, 119, 120, 7199, 7200, 172_799, 172_800].map((s) => formatAge(ago(s), now))).toEqual([
      "5s",
      "119s",
      "2m",
      "119m",
      "2h",
      "47h",
      "2d",
    ]);
    expect(formatAge(timestampFromDate(new Date(now.getTime() + 5000)), now)).toBe("0s");
  });
});
