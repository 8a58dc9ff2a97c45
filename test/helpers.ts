import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { app } from "../src/app";
import type { Bindings } from "../src/config";
import worker from "../src/index";

export const ADMIN_TOKEN = "admin-token-for-tests";
export const READ_TOKEN = "read-token-for-tests";
export const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * A test's own LlamaCloud world: the simulator keeps separate jobs, faults and request logs per API
 * key, so test files running side by side never see each other's upstream.
 */
export interface World {
  key: string;
  env: Bindings;
}

export function world(name: string, vars: Partial<Bindings> = {}): World {
  const key = `llx-${name}-${crypto.randomUUID()}`;
  return { key, env: { ...(env as unknown as Bindings), LLAMA_CLOUD_API_KEY: key, ...vars } };
}

export interface CallInit {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  body?: BodyInit;
}

/** Sends a request through the real app with this world's bindings; waits for its background work. */
export async function call(w: World, path: string, init: CallInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const ctx = createExecutionContext();
  const res = await app.request(
    `http://batchwatch.test${path}`,
    { method: init.method ?? "GET", headers, body },
    w.env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

export async function admin(w: World, path: string, init: CallInit = {}): Promise<Response> {
  return call(w, path, { ...init, headers: { ...ADMIN, ...init.headers } });
}

/** Runs the real scheduled handler as the cron would, for a given time. */
export async function tick(w: World, at: number = Date.now()): Promise<void> {
  await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: at }), w.env);
}

export const MINUTE = 60_000;

export interface ErrorJson {
  error: { code: string; message: string };
}

export async function errorOf(res: Response): Promise<ErrorJson["error"]> {
  return ((await res.json()) as ErrorJson).error;
}
