// config.json on disk: sealed to the device when `app_config.encrypt_config` is on (the default),
// plain JSON (mode 0600) when off. Loading tells the agent what it found: nothing (first start:
// run ZTR), a config, or a sealed file it must discard (another device, tampered, or written by
// the original satellite) and replace by running ZTR again.
import { readFile, rename } from "node:fs/promises";
import { readSealedFile, writeSealedFile, type SealedFileOptions } from "../fingerprint/sealed-file.js";
import { looksSealed, SealedConfigError } from "../fingerprint/sealed-box.js";
import { writeFileAtomic } from "../fs/atomic-file.js";
import { ConfigValidationError } from "./config-error.js";
import { parseSatelliteConfig } from "./parse-config.js";
import type { SatelliteConfig } from "./satellite-config.js";

export { CONFIG_FILE } from "./config-file-name.js";

export type LoadedConfig =
  | { status: "missing" }
  /** `sealed` false with encrypt_config on: the agent should save it again to seal it. */
  | { status: "loaded"; config: SatelliteConfig; sealed: boolean }
  | { status: "discard"; reason: SealedConfigError | ConfigValidationError };

export interface ConfigFileOptions {
  /** This device's fingerprint; only computed when a sealed file is read or written. */
  fingerprint: () => Promise<string>;
  sealed?: Omit<SealedFileOptions, "beforeRename">;
}

export async function loadConfigFile(path: string, options: ConfigFileOptions): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { status: "missing" };
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return {
      status: "discard",
      reason: new ConfigValidationError([{ path: "(root)", message: `not JSON: ${(error as Error).message}` }], path),
    };
  }
  try {
    if (!looksSealed(raw)) return { status: "loaded", config: parseSatelliteConfig(raw, path), sealed: false };
    const plaintext = await readSealedFile(path, await options.fingerprint());
    if (plaintext === undefined) return { status: "missing" };
    return {
      status: "loaded",
      config: parseSatelliteConfig(JSON.parse(plaintext.toString("utf8")), path),
      sealed: true,
    };
  } catch (error) {
    if (error instanceof SealedConfigError || error instanceof ConfigValidationError)
      return { status: "discard", reason: error };
    throw error;
  }
}

export async function saveConfigFile(path: string, config: SatelliteConfig, options: ConfigFileOptions): Promise<void> {
  const json = JSON.stringify(config, null, 2);
  if (config.app_config.encrypt_config)
    await writeSealedFile(path, Buffer.from(json, "utf8"), await options.fingerprint(), options.sealed);
  else await writeFileAtomic(path, `${json}\n`, { mode: 0o600 });
}

/**
 * Moves a config the agent cannot use out of the way (to `<path>.rejected`, replacing an older
 * one), so the next start does not trip on it again and nothing is lost: a config an upgrade
 * validates more strictly (a trusted key it now refuses) still holds the robot credentials an
 * operator may want back. Returns where it went.
 */
export async function discardConfigFile(path: string): Promise<string> {
  const aside = `${path}.rejected`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  return aside;
}
