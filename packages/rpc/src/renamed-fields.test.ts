import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "./errors.js";
import { renamedField } from "./renamed-fields.js";

describe("renamedField", () => {
  it("takes the new field, else the deprecated one, else empty", () => {
    expect(renamedField("satellite", "edge-1", "name", "")).toBe("edge-1");
    expect(renamedField("satellite", "", "name", "edge-1")).toBe("edge-1");
    expect(renamedField("satellite", "", "name", "")).toBe("");
  });

  it("accepts both when they agree, as a client talking to old and new servers sends them", () => {
    expect(renamedField("satellite", "edge-1", "name", "edge-1")).toBe("edge-1");
  });

  it("refuses both set to different values with InvalidArgument naming both fields and values", () => {
    const call = () => renamedField("config", "edge", "config_name", "default");
    expect(call).toThrow(InvalidArgumentError);
    expect(call).toThrow(
      'config "edge" and config_name "default" disagree: config_name is the deprecated name of config (accepted until v0.3); send config only',
    );
    try {
      call();
    } catch (error) {
      expect((error as InvalidArgumentError).code).toBe(Code.InvalidArgument);
    }
  });
});
