/** The machine a bench ran on, as the README's performance section states it. */
import os from 'node:os';

export function machine(): string {
  const cpus = os.cpus();
  const memory = `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`;
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${memory} memory, ${os.type()} ${os.release()} ${os.arch()}, Node ${process.version}`;
}
