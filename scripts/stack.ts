// The local stack: the LlamaCloud simulator and `wrangler dev` against a migrated local D1, wired to
// each other. `npm start` runs it for people; the end-to-end tests run it for themselves.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { BIN, type Child, freePort, run, startChild, waitForHttp } from "./processes";
import { writeQueueConfig } from "./queue-config";

export interface StackOptions {
  /** Extra wrangler vars and secrets; they override wrangler.toml and `envFiles`. */
  vars?: Record<string, string>;
  /** Dotenv files (such as `.dev.vars`) whose settings apply beneath `vars`. */
  envFiles?: string[];
  /** Arguments for sim/server.ts. */
  simArgs?: string[];
  /** Where local D1 lives; a fresh temporary folder (deleted on stop) when omitted. */
  persistTo?: string;
  /** Use this upstream instead of starting the simulator. */
  upstreamUrl?: string;
  apiKey?: string;
  port?: number;
  /** Have the simulator send signed LlamaCloud callbacks to this stack's /webhooks/llamacloud. */
  callbacks?: boolean;
  /** Poll through a local POLL_QUEUE: the tick sends, this Worker's queue() consumer polls. */
  queue?: boolean;
  echo?: boolean;
}

export interface Stack {
  url: string;
  simUrl: string | null;
  apiKey: string;
  adminToken: string;
  readToken: string;
  /** The secret the simulator signs its callbacks with (null without `callbacks`). */
  callbackSecret: string | null;
  /** Fires one cron tick in wrangler dev (it never fires crons by itself). */
  tick: () => Promise<void>;
  stop: () => Promise<void>;
  children: Child[];
}

/** Applies migrations/ to the local D1 kept in `persistTo` (already applied ones are skipped). */
export async function migrateLocal(persistTo: string): Promise<void> {
  await run(path.join(BIN, "wrangler"), [
    "d1",
    "migrations",
    "apply",
    "DB",
    "--local",
    "--persist-to",
    persistTo,
  ]);
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const children: Child[] = [];
  const temporary = opts.persistTo === undefined;
  const persistTo = opts.persistTo ?? mkdtempSync(path.join(tmpdir(), "batchwatch-"));
  // Tokens and keys reach wrangler through a private file, not its command line, where any local
  // user could read them with `ps`.
  const secretsDir = mkdtempSync(path.join(tmpdir(), "batchwatch-secrets-"));
  const stop = async () => {
    await Promise.all(children.map((c) => c.stop()));
    rmSync(secretsDir, { recursive: true, force: true });
    if (temporary) rmSync(persistTo, { recursive: true, force: true });
  };
  try {
    const apiKey = opts.apiKey ?? "llx-sim-local";
    const port = opts.port ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const callbackSecret = opts.callbacks ? `lc-whsec-${crypto.randomUUID()}` : null;
    let simUrl: string | null = null;
    if (!opts.upstreamUrl) {
      const simPort = await freePort();
      // Keys and secrets through the environment, not the command line (see secretsDir above).
      const sim = startChild(
        "sim",
        path.join(BIN, "tsx"),
        ["sim/server.ts", "--port", String(simPort), ...(opts.simArgs ?? [])],
        {
          echo: opts.echo,
          env: {
            SIM_API_KEY: apiKey,
            ...(callbackSecret
              ? { SIM_CALLBACK_URL: `${url}/webhooks/llamacloud`, SIM_CALLBACK_SECRET: callbackSecret }
              : {}),
          },
        },
      );
      children.push(sim);
      simUrl = `http://127.0.0.1:${simPort}`;
      await waitForHttp(`${simUrl}/__sim/health`, sim);
    }

    await migrateLocal(persistTo);

    const inspectorPort = await freePort();
    // Never a fixed, guessable token: a stack listens on a real port.
    const adminToken = opts.vars?.ADMIN_TOKEN ?? `admin-${crypto.randomUUID()}`;
    const readToken = opts.vars?.READ_TOKEN ?? `read-${crypto.randomUUID()}`;
    const vars: Record<string, string> = {
      LLAMA_CLOUD_BASE_URL: opts.upstreamUrl ?? (simUrl as string),
      LLAMA_CLOUD_API_KEY: apiKey,
      ADMIN_TOKEN: adminToken,
      READ_TOKEN: readToken,
      ...(callbackSecret ? { LLAMA_CLOUD_WEBHOOK_SECRET: callbackSecret } : {}),
      ...opts.vars,
    };
    const wrangler = startChild(
      "wrangler",
      path.join(BIN, "wrangler"),
      [
        "dev",
        ...(opts.queue ? ["--config", writeQueueConfig()] : []),
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--inspector-port",
        String(inspectorPort),
        "--persist-to",
        persistTo,
        "--test-scheduled",
        "--show-interactive-dev-session=false",
        // With --env-file wrangler reads only the files named, so a developer's .dev.vars never
        // leaks into a test stack; later files win.
        ...[...(opts.envFiles ?? []), writeEnvFile(secretsDir, vars)].flatMap((file) => ["--env-file", file]),
      ],
      { echo: opts.echo },
    );
    children.push(wrangler);
    // The Worker is up once /healthz answers its own JSON, healthy or not: a persisted D1 whose last
    // tick is old (npm start again after a break) answers 503 tick_overdue until the next tick.
    await waitForHttp(`${url}/healthz`, wrangler, async (res) => {
      const body = (await res.json().catch(() => null)) as { ok?: unknown } | null;
      return typeof body?.ok === "boolean";
    });

    return {
      url,
      simUrl,
      apiKey,
      adminToken,
      readToken,
      callbackSecret,
      children,
      stop,
      tick: async () => {
        const res = await fetch(`${url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
        if (!res.ok) throw new Error(`tick failed: ${res.status} ${await res.text()}`);
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function writeEnvFile(dir: string, vars: Record<string, string>): string {
  const lines = Object.entries(vars).map(([name, value]) => {
    // Single-quoted dotenv values are taken literally; refuse what would break out of the quotes.
    if (/['\r\n]/.test(value))
      throw new Error(`${name} cannot be passed to wrangler dev: it holds a quote or newline`);
    return `${name}='${value}'`;
  });
  const file = path.join(dir, "stack.env");
  writeFileSync(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  return file;
}
