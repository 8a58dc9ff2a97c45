// Stored state in the real local D1, for tests that start from rows rather than from the API.
import { env } from "cloudflare:workers";
import { database } from "../../src/db/client";
import { type ItemRow, items, type JobRow, jobs } from "../../src/db/schema";

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

/** An item row as D1 answers it (snake_case, `settled` as 0 or 1). */
export interface StoredItem {
  item_id: string;
  name: string | null;
  status: string;
  error_message: string | null;
  child_job_id: string | null;
  updated_at: string | null;
  settled: number;
}

/** A job's stored items, by item id: what the monitor kept of its files, read past the API. */
export async function storedItems(jobId: string): Promise<StoredItem[]> {
  const { results } = await env.DB.prepare(
    "select item_id, name, status, error_message, child_job_id, updated_at, settled from items where job_id = ? order by item_id",
  )
    .bind(jobId)
    .all<StoredItem>();
  return results;
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
