/** An error the user can fix (bad argument, busy port): printed as one line, without a stack trace. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}
