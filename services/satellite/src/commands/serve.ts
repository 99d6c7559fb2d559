// Placeholder until the serve command lands; replaced by its implementation.
import { UsageError } from "../cli/usage.js";

export async function run(_argv: string[]): Promise<number> {
  throw new UsageError("'serve' is not available in this build yet");
}
