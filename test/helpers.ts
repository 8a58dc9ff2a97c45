import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { hc, type InferRequestType, type InferResponseType } from "hono/client";
import { expect } from "vitest";
import { simControl } from "../sim/control";
import type { CreateJobInput, FaultInput } from "../sim/control-routes";
import { type AppType, app } from "../src/app";
import type { Bindings } from "../src/config";
import { database } from "../src/db/client";
import { type ItemRow, items, type JobRow, jobs } from "../src/db/schema";
import { errorSchema } from "../src/http/errors";
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

const ORIGIN = "http://batchwatch.test";

/** Sends a request through the real app with this world's bindings; waits for its background work. */
async function send(w: World, request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.request(request, undefined, w.env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** A request the typed client cannot express (raw bodies, bad input, pages): through the real app. */
export async function call(w: World, path: string, init: CallInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return send(w, new Request(`${ORIGIN}${path}`, { method: init.method ?? "GET", headers, body }));
}

/**
 * The typed API client (`hono/client` over the app's `AppType`) for this world, sending the admin
 * token unless given other headers: inputs and answers are checked by the compiler, not cast.
 */
export function client(w: World, headers: Record<string, string> = ADMIN) {
  return hc<AppType>(ORIGIN, {
    headers,
    fetch: (input: RequestInfo | URL, init?: RequestInit) => send(w, new Request(input, init)),
  });
}

type Client = ReturnType<typeof client>;
export type Job = InferResponseType<Client["api"]["jobs"][":job_id"]["$get"], 200>["job"];
export type Snapshot = InferResponseType<
  Client["api"]["jobs"][":job_id"]["history"]["$get"],
  200
>["snapshots"][number];
type TrackBody = InferRequestType<Client["api"]["jobs"]["$post"]>["json"];

interface Answer {
  status: number;
  clone(): { text(): Promise<string> };
  json(): Promise<unknown>;
}

type JsonOf<R> = R extends { json(): Promise<infer T> } ? T : never;

/**
 * The JSON of an answer that must have `status`, typed as the API declares it for that status (the
 * client's answer is a union over every status the route declares; the check here is what narrows
 * it); any other status fails the test, showing the body.
 */
export async function expectJson<R extends Answer, S extends R["status"]>(
  answer: R | Promise<R>,
  status: S,
): Promise<JsonOf<Extract<R, { status: S }>>> {
  const res = await answer;
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as JsonOf<Extract<R, { status: S }>>;
}

/** Tracks a job through the API (POST /api/jobs, which polls it once) and answers the new job. */
export async function track(w: World, jobId: string, body: Omit<TrackBody, "job_id"> = {}): Promise<Job> {
  return (await expectJson(client(w).api.jobs.$post({ json: { job_id: jobId, ...body } }), 201)).job;
}

/** The job as GET /api/jobs/:job_id answers it. */
export async function job(w: World, jobId: string): Promise<Job> {
  return (await expectJson(client(w).api.jobs[":job_id"].$get({ param: { job_id: jobId } }), 200)).job;
}

/** The job's snapshots, newest first (one page of up to 200). */
export async function history(w: World, jobId: string): Promise<Snapshot[]> {
  const answer = client(w).api.jobs[":job_id"].history.$get({
    param: { job_id: jobId },
    query: { limit: "200" },
  });
  return (await expectJson(answer, 200)).snapshots;
}

/** Polls a job now (POST /api/jobs/:job_id/poll), as an operator would. */
export function pollNow(w: World, jobId: string) {
  return client(w).api.jobs[":job_id"].poll.$post({ param: { job_id: jobId } });
}

/** An upstream job that is running: 100 items, 10 more done at each `advance`. */
export const RUNNING_JOB = { total_items: 100, items_per_step: 10, start_at: "running" } as const;

/** Creates a running job upstream and tracks it. */
export async function trackRunning(w: World, jobId: string, body: Omit<TrackBody, "job_id"> = {}) {
  await upstream(w).createJob({ id: jobId, ...RUNNING_JOB });
  return track(w, jobId, body);
}

export async function admin(w: World, path: string, init: CallInit = {}): Promise<Response> {
  return call(w, path, { ...init, headers: { ...ADMIN, ...init.headers } });
}

/** Runs the real scheduled handler as the cron would, for a given time. */
export async function tick(w: World, at: number = Date.now()): Promise<void> {
  await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: at }), w.env);
}

export const MINUTE = 60_000;

/**
 * Ticks this far apart find every active job due at each (one not backing off from errors): past the
 * longest quiet interval, MAX_QUIET_INTERVAL_SECONDS (10 minutes).
 */
export const TICK_GAP = 11 * MINUTE;

/** The `error` of an error answer (raw or from the client), read with the API's own schema. */
export async function errorOf(res: { json(): Promise<unknown> }) {
  return errorSchema.parse(await res.json()).error;
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

/** The simulator's latest request-log seq for this world: ask `requests({ since_seq })` for what came after. */
export async function lastSeq(w: World): Promise<number> {
  return (await upstream(w).requests()).at(-1)?.seq ?? 0;
}

let tracked = 0;

/**
 * A job row as the monitor stores it, for tests that start from a stored state rather than from the
 * API: a running job, polled two minutes ago and due in a minute, unless `fields` say otherwise.
 * Jobs made one after another are tracked in that order (a millisecond apart), so lists are stable.
 */
export function jobRow(fields: Partial<JobRow> & { jobId: string }, now: number = Date.now()): JobRow {
  return {
    projectId: null,
    organizationId: null,
    label: null,
    jobType: "parse",
    status: "running",
    totalItems: 100,
    processedItems: 40,
    failedItems: 2,
    skippedItems: 1,
    progressPercentage: 43,
    errorMessage: null,
    upstreamUpdatedAt: null,
    upstreamJob: null,
    state: "active",
    trackedAt: now - 3_600_000 + tracked++,
    lastPolledAt: now - 120_000,
    lastSuccessAt: now - 120_000,
    lastChangeAt: now - 120_000,
    nextPollAt: now + 60_000,
    pollIntervalSeconds: 60,
    consecutiveFailures: 0,
    consecutiveNotFound: 0,
    lastErrorCode: null,
    lastErrorMessage: null,
    lastErrorAt: null,
    stalledSince: null,
    api: "v1",
    watchId: null,
    terminalSeenAt: null,
    leaseToken: null,
    leaseUntil: null,
    ...fields,
  };
}

/**
 * Stores jobs (see `jobRow`) in the real local D1, in one batch of one statement per row (a row's
 * columns times three would pass D1's 100 bound parameters).
 */
export async function insertJobs(rows: (Partial<JobRow> & { jobId: string })[]): Promise<JobRow[]> {
  const db = database(env.DB);
  const [first, ...rest] = rows.map((fields) => db.insert(jobs).values(jobRow(fields)).returning());
  if (!first) return [];
  return (await db.batch([first, ...rest])).flat();
}

export async function insertJob(fields: Partial<JobRow> & { jobId: string }): Promise<JobRow> {
  const [row] = await insertJobs([fields]);
  if (!row) throw new Error("insert failed");
  return row;
}

/**
 * Stores a job's items (its files) as the monitor keeps them: a pending file of a child job unless
 * `fields` say otherwise, `sortAt` taken from `updatedAt`. Nine rows a statement (ten columns each:
 * under D1's 100 bound parameters), in one batch.
 */
export async function insertItems(
  jobId: string,
  rows: (Partial<ItemRow> & { itemId: string })[],
): Promise<void> {
  const db = database(env.DB);
  const values = rows.map((fields): ItemRow => {
    const updatedAt = fields.updatedAt === undefined ? new Date().toISOString() : fields.updatedAt;
    return {
      jobId,
      name: null,
      status: "pending",
      errorMessage: null,
      childJobId: `pjb-${fields.itemId}`,
      childType: "parse_v2",
      updatedAt,
      sortAt: updatedAt === null ? Date.now() : Date.parse(updatedAt),
      settled: false,
      ...fields,
    };
  });
  const statements = [];
  for (let i = 0; i < values.length; i += 9) statements.push(db.insert(items).values(values.slice(i, i + 9)));
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

/** Direct reads of the tables, for what the API does not show. */
export async function countRows(table: string, where = "1 = 1", ...binds: unknown[]): Promise<number> {
  const row = await env.DB.prepare(`select count(*) as n from "${table}" where ${where}`)
    .bind(...binds)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** D1 is isolated per test file, not per test: tests that depend on monitor-wide state start clean. */
export async function resetDatabase(): Promise<void> {
  const { results } = await env.DB.prepare(
    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'd1_%' and name not like '_cf_%'",
  ).all<{ name: string }>();
  await env.DB.batch(results.map(({ name }) => env.DB.prepare(`delete from "${name}"`)));
}
