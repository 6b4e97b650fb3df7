/**
 * Errors a user can act on. The CLI prints `message` (no stack) and exits with `exitCode`.
 * Messages name the file, row, column or option at fault.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** Bad input data: names the file and, where known, the 1-based row and the column. */
export class DataError extends UserError {
  readonly file: string;
  readonly row: number | undefined;
  readonly column: string | undefined;
  constructor(file: string, detail: string, row?: number, column?: string) {
    const where = [file, row !== undefined ? `row ${row}` : undefined, column !== undefined ? `column "${column}"` : undefined]
      .filter((x) => x !== undefined)
      .join(', ');
    super(`${where}: ${detail}`);
    this.name = 'DataError';
    this.file = file;
    this.row = row;
    this.column = column;
  }
}

/** Throw a plain Error with `message` unless `cond` holds. For internal invariants, not user input. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}
