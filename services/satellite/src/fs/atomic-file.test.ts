import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeStaleTempFiles, writeFileAtomic } from "./atomic-file.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-atomic-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("writeFileAtomic", () => {
  it("replaces the file whole, with the mode asked for", async () => {
    const path = join(dir, "state.json");
    await writeFileAtomic(path, "old", { mode: 0o600 });
    await writeFileAtomic(path, "new content", { mode: 0o600 });
    expect(await readFile(path, "utf8")).toBe("new content");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("stages the temp file in another folder when asked, leaving nothing there", async () => {
    const staging = join(dir, "ingest");
    await mkdir(staging);
    const path = join(dir, "index.json");
    await writeFileAtomic(path, "{}", { tempDir: staging });
    expect(await readFile(path, "utf8")).toBe("{}");
    expect(await readdir(staging)).toEqual([]);
  });

  it("leaves the old file when the write fails before the rename, and no temp file", async () => {
    const path = join(dir, "state.json");
    await writeFileAtomic(path, "old");
    await expect(
      writeFileAtomic(path, "new", { beforeRename: async () => Promise.reject(new Error("disk gone")) }),
    ).rejects.toThrow("disk gone");
    expect(await readFile(path, "utf8")).toBe("old");
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("survives a process killed between fsync and rename: old file intact, temp removed at start-up", async () => {
    const path = join(dir, "config.json");
    await writeFile(path, "old");
    const module = fileURLToPath(new URL("./atomic-file.ts", import.meta.url));
    const script = `const { writeFileAtomic } = await import(${JSON.stringify(module)});
await writeFileAtomic(${JSON.stringify(path)}, "x".repeat(100000), { beforeRename: async () => { process.kill(process.pid, "SIGKILL"); await new Promise(() => {}); } });`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: "ignore",
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.once("exit", (_code, sig) => resolve(sig)),
    );
    expect(signal).toBe("SIGKILL");
    expect(await readFile(path, "utf8")).toBe("old");
    const left = (await readdir(dir)).filter((n) => n !== "config.json");
    expect(left).toHaveLength(1);
    expect((await readFile(join(dir, left[0]), "utf8")).length).toBe(100000);
    expect(await removeStaleTempFiles(path)).toBe(1);
    expect(await readdir(dir)).toEqual(["config.json"]);
  });
});
