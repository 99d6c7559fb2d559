// Its own module so that a command can look for the file without loading what reads it
// (config-file.ts and the schema validator behind it).

/** The config the agent saves in its data dir (`<data-dir>/config.json`), which the one-shot commands read too. */
export const CONFIG_FILE = "config.json";
