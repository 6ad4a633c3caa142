/**
 * A one-line progress indicator on stderr: "waiting for reconcile… 12 s", rewritten in place.
 * Only on a terminal: in a pipe or a CI log a ticking line would be noise between real lines,
 * and stdout stays clean for --json either way.
 */
import type { Output } from '../lib/entry/io.js';

export interface Progress {
  /** Starts (or replaces) the current phase; the line shows it with the seconds it has taken. */
  phase(label: string): void;
  /** Clears the line. Safe to call more than once. */
  done(): void;
}

const silent: Progress = { phase() {}, done() {} };

export function progress(stderr: Output, now: () => number = Date.now): Progress {
  if (!stderr.isTTY) return silent;
  let label: string | undefined;
  let started = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const draw = () => {
    if (label !== undefined) stderr.write(`\r\u001b[K${label}… ${Math.floor((now() - started) / 1000)} s`);
  };
  return {
    phase(next) {
      label = next;
      started = now();
      draw();
      if (!timer) {
        timer = setInterval(draw, 1000);
        // A forgotten done() must not keep the process alive.
        timer.unref();
      }
    },
    done() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (label !== undefined) stderr.write('\r\u001b[K');
      label = undefined;
    },
  };
}
