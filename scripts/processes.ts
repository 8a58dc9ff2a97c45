// Starting and stopping the local stack's processes (simulator, wrangler dev), shared by `npm start`
// and the end-to-end tests. Every child runs in its own process group so that stopping it also stops
// what it spawned (wrangler's workerd), even when the parent dies of an error.

import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..");
export const BIN = path.join(ROOT, "node_modules", ".bin");

/** A free TCP port on loopback, chosen by the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export interface Child {
  name: string;
  process: ChildProcess;
  /** Everything the child printed, for error messages. */
  output: () => string;
  stop: () => Promise<void>;
}

const running = new Set<Child>();

export function startChild(
  name: string,
  command: string,
  args: string[],
  opts: { env?: Record<string, string | undefined>; echo?: boolean } = {},
): Child {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", ...opts.env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    if (opts.echo) process.stdout.write(text.replace(/^/gm, `[${name}] `));
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const handle: Child = {
    name,
    process: child,
    output: () => output,
    stop: () => stopGroup(child).finally(() => running.delete(handle)),
  };
  running.add(handle);
  return handle;
}

function alive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the whole group, SIGKILL after two seconds if anything is left. */
async function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return;
  }
  for (let i = 0; i < 20 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Last-resort cleanup when the parent exits without stopping its children. */
export function stopAllSync(): void {
  for (const child of running) {
    if (child.process.pid !== undefined) {
      try {
        process.kill(-child.process.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  running.clear();
}
process.once("exit", stopAllSync);

/**
 * Waits until `url` answers as `ready` says (2xx unless told otherwise), failing early with the
 * child's output if it exits.
 */
export async function waitForHttp(
  url: string,
  child: Child,
  ready: (res: Response) => Promise<boolean> | boolean = (res) => res.ok,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) {
      throw new Error(
        `${child.name} exited (${child.process.exitCode}) before ${url} answered:\n${child.output()}`,
      );
    }
    try {
      const res = await fetch(url);
      if (await ready(res)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${child.output()}`);
}

/** Runs a command to completion, rejecting with its output when it fails. */
export function run(
  command: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(" ")} failed (${code}):\n${output}`)),
    );
  });
}
