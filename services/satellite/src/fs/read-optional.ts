// Reading a file that may legitimately not exist yet (first start, a runtime not configured):
// its text, or undefined when it is missing; any other failure is an error.
import { readFile } from "node:fs/promises";

export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
