/**
 * Starts moto_server (a local AWS emulator) on a free port and stops it again. Used by the
 * contract tests' globalSetup, and by hand: `npx tsx scripts/moto-server.ts` prints the endpoint
 * and runs until Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const MOTO_NOT_FOUND = "moto_server not found on PATH: install it with `pip install 'moto[server]'`";

/** moto is a Python server; a cold start (imports of every service) takes 1-3 s, more on a busy machine. */
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 3_000;

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

/** The executable's path, found the way a shell would, or undefined. */
export function findOnPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** A port nobody listens on right now: the kernel picks one for port 0. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startMoto(): Promise<MotoServer> {
  const executable = findOnPath('moto_server');
  if (!executable) throw new Error(MOTO_NOT_FOUND);

  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    // Its own process group: moto_server is often a pyenv or venv shim that forks python, and
    // killing only the shim would leave the server running and the port taken.
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      // moto leaves AWS managed policies (CloudWatchAgentServerPolicy, ...) out unless asked.
      MOTO_IAM_LOAD_MANAGED_POLICIES: 'true',
    },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    // Only the tail is worth showing when it fails to start; the request log is noise.
    stderr = (stderr + chunk.toString()).slice(-4000);
  });

  // A crashed test runner must not leave the server behind either.
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopGroup(child);
  };

  try {
    await waitUntilReady(endpoint, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  // Once up, stderr is moto's request log: stop collecting it.
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();
  return { endpoint, stop };
}

async function waitUntilReady(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto_server exited (${child.exitCode ?? child.signalCode}) before it answered:\n${stderr()}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s:\n${stderr()}`);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

// Run by hand: print the endpoint, keep the server until Ctrl-C.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const moto = await startMoto();
    console.log(`moto_server listening on ${moto.endpoint} (Ctrl-C stops it)`);
    const shutdown = () => void moto.stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
