import { describe, expect, it } from "vitest";
import { parseChallenges, repositoryScope } from "./token-auth.js";

describe("WWW-Authenticate parsing", () => {
  it("reads a Docker token challenge with a quoted scope holding commas", () => {
    const [c] = parseChallenges(
      'Bearer realm="https://h.example/service/token",service="harbor-registry",scope="repository:lib/app:pull,push"',
    );
    expect(c).toEqual({
      scheme: "bearer",
      params: {
        realm: "https://h.example/service/token",
        service: "harbor-registry",
        scope: "repository:lib/app:pull,push",
      },
    });
  });
  it("splits several challenges and unquoted values", () => {
    const cs = parseChallenges('Basic realm="r1", Bearer realm=https://t.example/token,service=reg');
    expect(cs.map((c) => c.scheme)).toEqual(["basic", "bearer"]);
    expect(cs[1].params).toEqual({ realm: "https://t.example/token", service: "reg" });
  });
  it("returns nothing for an empty header and formats scopes", () => {
    expect(parseChallenges("")).toEqual([]);
    expect(repositoryScope("a/b", ["pull", "push"])).toBe("repository:a/b:pull,push");
  });
});
