/**
 * What the human-facing commands (the CLI, npm start) write to and read from, injected so tests run
 * them in-process and see their output.
 */
export interface Output {
  write(chunk: string): unknown;
  /** True on a terminal: colour on stdout, a progress line on stderr. */
  isTTY?: boolean;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
}

/** The real process. */
export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Colour on stdout only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(io: Io): boolean {
  return Boolean(io.stdout.isTTY) && !io.env.NO_COLOR;
}
