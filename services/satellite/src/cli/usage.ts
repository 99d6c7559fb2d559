// Exit codes and the error that means "the command line was wrong".

export const ExitCode = {
  Ok: 0,
  /** The work ran and something failed (e.g. an image did not replicate). */
  Failure: 1,
  /** The command line was wrong; nothing was done. */
  Usage: 2,
} as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
