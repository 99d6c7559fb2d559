// Exit codes: what the satellite command tells its caller (README, "The satellite": the table).

export const ExitCode = {
  Ok: 0,
  /** The work ran and something failed (e.g. an image did not replicate). */
  Failure: 1,
  /** The command line (or a file it names, such as --config) was wrong; nothing was done. */
  Usage: 2,
  /**
   * `sync --once`: no sync window is open (app_config.sync_policy), so no layer was fetched — none
   * at all when it was closed at the start, or the pass stopped where a window closed. Not a failure.
   */
  OutsideSyncWindow: 3,
  /**
   * `sync --once`: every image replicated, but require_signature refuses some of them (no signature
   * verifies with a trusted key): they are stored and not served until a valid signature arrives.
   */
  SignatureRefused: 4,
} as const;
