import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { simControl } from "../sim/control";
import type { CreateJobInput, FaultInput } from "../sim/control-routes";
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

/**
 * This world's side of the LlamaCloud simulator. Jobs move only when told to (manual clock) unless a
 * test asks otherwise.
 */
export function upstream(w: World) {
  const sim = simControl({ apiKey: w.key });
  return {
    ...sim,
    createJob: (input: CreateJobInput) => sim.createJob({ mode: "manual", ...input }),
    fault: (input: FaultInput) => sim.injectFault(input),
    /** Status requests the monitor made, optionally about one job. */
    statusRequests: (jobId?: string) => sim.requests({ job_id: jobId, endpoint: "status" }),
  };
}

/** D1 is isolated per test file, not per test: tests that depend on monitor-wide state start clean. */
export async function resetDatabase(): Promise<void> {
  const { results } = await env.DB.prepare(
    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'd1_%' and name not like '_cf_%'",
  ).all<{ name: string }>();
  await env.DB.batch(results.map(({ name }) => env.DB.prepare(`delete from "${name}"`)));
}

/**
 * Wraps a D1 binding to count round trips: every statement executed on its own and every batch
 * is one trip to the database.
 */
export function countingD1(real: D1Database): { db: D1Database; trips: () => number } {
  let trips = 0;
  const originals = new WeakMap<object, D1PreparedStatement>();
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const wrapped = {
      bind: (...values: unknown[]) => wrap(stmt.bind(...values)),
      first: (col?: string) => {
        trips++;
        return col === undefined ? stmt.first() : stmt.first(col);
      },
      run: () => {
        trips++;
        return stmt.run();
      },
      all: () => {
        trips++;
        return stmt.all();
      },
      raw: (opts?: { columnNames?: boolean }) => {
        trips++;
        return stmt.raw(opts as { columnNames: true });
      },
    } as unknown as D1PreparedStatement;
    originals.set(wrapped, stmt);
    return wrapped;
  };
  const db = {
    prepare: (sql: string) => wrap(real.prepare(sql)),
    batch: (stmts: D1PreparedStatement[]) => {
      trips++;
      return real.batch(stmts.map((s) => originals.get(s) ?? s));
    },
    exec: (sql: string) => {
      trips++;
      return real.exec(sql);
    },
    withSession: () => {
      throw new Error("not used by batchwatch");
    },
    dump: () => real.dump(),
  } as unknown as D1Database;
  return { db, trips: () => trips };
}
