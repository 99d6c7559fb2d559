// `<data-dir>/config.json` for the agent: what a start finds there, and saving after ZTR and after
// each applied config change. Sealed to the device by default (AES-256-GCM, key from the device
// fingerprint); a file sealed on another device, tampered with, or unreadable is discarded, and
// the agent enrols again. The fingerprint is computed once per process.
import type { Logger } from "pino";
import { discardConfigFile, loadConfigFile, saveConfigFile } from "../config/config-file.js";
import { isRegistered, type SatelliteConfig } from "../config/satellite-config.js";
import { deviceFingerprint } from "../fingerprint/device-fingerprint.js";
import type { ScryptParams } from "../fingerprint/sealed-box.js";

export type StartingConfig =
  /** A saved config with credentials: no enrolment needed. */
  | { status: "registered"; config: SatelliteConfig }
  /** Nothing usable saved; `discarded` says why a file was thrown away. */
  | { status: "unregistered"; config?: SatelliteConfig; discarded?: string };

export interface ConfigAtRest {
  readonly path: string;
  load(): Promise<StartingConfig>;
  save(config: SatelliteConfig): Promise<void>;
  /** The device fingerprint (throws when the device has none); memoised. */
  fingerprint(): Promise<string>;
}

export interface ConfigAtRestOptions {
  path: string;
  logger: Logger;
  fingerprint?: () => Promise<string>;
  scrypt?: ScryptParams;
}

export function createConfigAtRest(options: ConfigAtRestOptions): ConfigAtRest {
  let memo: Promise<string> | undefined;
  const fingerprint = () => {
    memo ??= (options.fingerprint ?? (() => deviceFingerprint()))();
    memo.catch(() => (memo = undefined));
    return memo;
  };
  const fileOptions = { fingerprint, sealed: options.scrypt ? { scrypt: options.scrypt } : undefined };
  // Saves are serialised so an older config never overwrites a newer one.
  let saving = Promise.resolve();

  const save = (config: SatelliteConfig) => {
    const next = saving.then(() => saveConfigFile(options.path, config, fileOptions));
    saving = next.catch(() => undefined);
    return next;
  };

  return {
    path: options.path,
    fingerprint,
    save,
    async load() {
      const loaded = await loadConfigFile(options.path, fileOptions);
      if (loaded.status === "missing") return { status: "unregistered" };
      if (loaded.status === "discard") {
        const reason = `${loaded.reason.name}: ${loaded.reason.message}`;
        const keptAt = await discardConfigFile(options.path);
        options.logger.warn(
          { path: options.path, keptAt, reason },
          "saved config discarded (kept aside); enrolling again",
        );
        return { status: "unregistered", discarded: reason };
      }
      const { config, sealed } = loaded;
      if (config.app_config.encrypt_config && !sealed) {
        // Written in the clear (by hand, or by the original satellite): seal it now.
        await save(config);
        options.logger.info({ path: options.path }, "saved config sealed to this device");
      }
      return isRegistered(config) ? { status: "registered", config } : { status: "unregistered", config };
    },
  };
}
