import { describe, expect, it } from "vitest";
import { GLOBAL_OPTIONS, parseLine, positionalsOf, type OptionSpecs } from "./args.js";
import { FAMILIES } from "./commands/index.js";
import { UsageError } from "./exit-codes.js";

const SPECS: OptionSpecs = {
  ...GLOBAL_OPTIONS,
  image: { type: "string", multiple: true, help: "" },
  clear: { type: "boolean", help: "" },
  file: { type: "string", short: "f", help: "" },
};

describe("argument parsing", () => {
  it("takes global and command options anywhere, and splits off the command words", () => {
    const argv = [
      "-o",
      "json",
      "groups",
      "--url=http://gc:8080",
      "update",
      "web",
      "--image",
      "a/b:1",
      "--clear",
      "--image",
      "a/c:2",
      "-f",
      "-",
    ];
    expect(positionalsOf(argv, SPECS)).toEqual(["groups", "update", "web"]);
    expect(parseLine(argv, SPECS, 2)).toEqual({
      words: ["groups", "update"],
      args: ["web"],
      values: { output: "json", url: "http://gc:8080", image: ["a/b:1", "a/c:2"], clear: true, file: "-" },
    });
  });

  it("finds command words past options it does not know yet, reading known string options' values", () => {
    expect(positionalsOf(["--url", "http://x", "satellites", "--whatever", "list"], SPECS)).toEqual([
      "satellites",
      "list",
    ]);
  });

  it("treats what follows -- as arguments", () => {
    expect(parseLine(["configs", "get", "--", "--odd"], SPECS, 2).args).toEqual(["--odd"]);
  });

  it("refuses unknown options, missing values and values for flags as usage errors naming the option", () => {
    const fail = (argv: string[]) => {
      try {
        parseLine(argv, SPECS, 1);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      throw new Error("parsed");
    };
    expect(fail(["status", "--bogus"])).toBe("unknown option --bogus");
    expect(fail(["status", "--url"])).toBe("option --url needs a value");
    expect(fail(["status", "-o"])).toBe("option -o needs a value");
    expect(fail(["status", "--clear=yes"])).toBe("option --clear takes no value");
  });

  it("gives each option name one type and short form across all commands (repeatable or not may differ), so the command words can be found before the command is known", () => {
    const seen = new Map<string, string>();
    for (const spec of [GLOBAL_OPTIONS, ...FAMILIES.flatMap((f) => f.commands.map((c) => c.options ?? {}))]) {
      for (const [name, o] of Object.entries(spec)) {
        const kind = `${o.type} ${o.short ?? ""}`;
        expect(seen.get(name) ?? kind, name).toBe(kind);
        seen.set(name, kind);
        if (spec !== GLOBAL_OPTIONS) expect(GLOBAL_OPTIONS[name], `${name} shadows a global option`).toBeUndefined();
      }
    }
  });
});
