// The error that means "the command line was wrong": every flag parser throws it, and the CLI
// answers it with its usage exit code (commands/exit-code.ts).

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
