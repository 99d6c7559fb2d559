// Exit codes: what the satellite command tells its caller.

export const ExitCode = {
  Ok: 0,
  /** The work ran and something failed (e.g. an image did not replicate). */
  Failure: 1,
  /** The command line was wrong; nothing was done. */
  Usage: 2,
} as const;
