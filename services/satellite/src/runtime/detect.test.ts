import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { detectRuntimes } from "./detect.js";

let dir: string;
let server: Server | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-detect-"));
});
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe("runtime detection", () => {
  it("finds runtimes by socket or executable binary, and nothing else", async () => {
    const socket = join(dir, "containerd.sock");
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(socket, resolve));
    const bin = join(dir, "bin");
    await mkdir(bin);
    await writeFile(join(bin, "podman"), "#!/bin/sh\n");
    await chmod(join(bin, "podman"), 0o755);
    await writeFile(join(bin, "dockerd"), "not executable");
    await writeFile(join(dir, "docker.sock"), "a regular file, not a socket");
    const found = await detectRuntimes({
      sockets: { containerd: [socket], docker: [join(dir, "docker.sock")], crio: [join(dir, "none.sock")], podman: [] },
      searchPath: [bin],
    });
    expect(found).toEqual([
      { runtime: "containerd", evidence: socket },
      { runtime: "podman", evidence: join(bin, "podman") },
    ]);
  });
});
