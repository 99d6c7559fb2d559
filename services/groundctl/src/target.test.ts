import { describe, expect, it } from "vitest";
import { anonymousTarget, normalizeUrl, resolveTarget } from "./target.js";

const session = { url: "https://gc.example.com", username: "admin", token: "tok", caFile: "/etc/gc-ca.pem" };

describe("target", () => {
  it("normalizes URLs and refuses other schemes and embedded credentials", () => {
    expect(normalizeUrl("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080");
    expect(normalizeUrl("https://GC.example.com/prefix/")).toBe("https://gc.example.com/prefix");
    expect(() => normalizeUrl("gc.example.com")).toThrow(/not a URL/);
    expect(() => normalizeUrl("ftp://gc")).toThrow(/http:\/\/ or https:\/\//);
    expect(() => normalizeUrl("https://admin:pw@gc")).toThrow(/no credentials in the URL/);
  });

  it("uses the session for its own URL, with its CA", () => {
    expect(resolveTarget({}, {}, session)).toMatchObject({
      url: "https://gc.example.com",
      credentials: { kind: "bearer", token: "tok" },
      source: "session",
      caFile: "/etc/gc-ca.pem",
    });
    expect(resolveTarget({ url: "https://gc.example.com/" }, {}, session).source).toBe("session");
  });

  it("never sends a session to another URL", () => {
    expect(() => resolveTarget({ url: "https://evil.example.com" }, {}, session)).toThrow(
      /not logged in to https:\/\/evil\.example\.com \(the stored session is for/,
    );
    expect(() => resolveTarget({}, { GROUNDCTL_URL: "https://evil.example.com" }, session)).toThrow(/not logged in/);
  });

  it("prefers GROUNDCTL_TOKEN, then GROUNDCTL_PASSWORD, to the session; flags to the environment", () => {
    expect(resolveTarget({}, { GROUNDCTL_TOKEN: "env", GROUNDCTL_PASSWORD: "pw" }, session).credentials).toEqual({
      kind: "bearer",
      token: "env",
    });
    expect(resolveTarget({}, { GROUNDCTL_USERNAME: "root", GROUNDCTL_PASSWORD: "pw" }, session).credentials).toEqual({
      kind: "basic",
      username: "root",
      password: "pw",
    });
    expect(
      resolveTarget({ url: "http://a:1" }, { GROUNDCTL_URL: "http://b:2", GROUNDCTL_TOKEN: "t" }, undefined).url,
    ).toBe("http://a:1");
    expect(resolveTarget({}, { GROUNDCTL_URL: "http://b:2", GROUNDCTL_TOKEN: "t" }, undefined).url).toBe("http://b:2");
  });

  it("without a URL or credentials: not logged in", () => {
    expect(() => resolveTarget({}, {}, undefined)).toThrow(/^not logged in: run groundctl login/);
    expect(() => resolveTarget({ url: "http://a:1" }, {}, undefined)).toThrow(/^not logged in to http:\/\/a:1:/);
  });

  it("login needs a URL from the flag or GROUNDCTL_URL", () => {
    expect(anonymousTarget({}, { GROUNDCTL_URL: "http://gc:8080" })).toMatchObject({
      url: "http://gc:8080",
      insecureSkipVerify: false,
      http2: false,
    });
    expect(() => anonymousTarget({}, {})).toThrow(/pass --url URL/);
  });
});
