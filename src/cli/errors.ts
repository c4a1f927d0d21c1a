// Errors a command-line user sees: one line on stderr and a non-zero exit.

/** The input was understood but refused (bad value, unknown uuid, conflict). Exit 1. */
export class UserError extends Error {
  readonly exitCode: number = 1;
}

/** The command line itself is wrong (unknown command or option, missing argument). Exit 2. */
export class UsageError extends UserError {
  override readonly exitCode: number = 2;
}
