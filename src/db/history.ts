/**
 * The read queries behind the job page. They are written so that a job with a very long history
 * (100,000 snapshots and more) costs a bounded amount of Worker memory: the database returns at most
 * a few hundred rows, whatever the history's length.
 */
import { and, desc, eq, lte, sql } from "drizzle-orm";
import type { Database } from "./client";
import { type SnapshotRow, snapshots } from "./schema";

export interface ChartRow {
  id: number;
  observedAt: number;
  status: string | null;
  totalItems: number | null;
  processedItems: number | null;
  failedItems: number | null;
  skippedItems: number | null;
}

export interface StatusChangeRow {
  id: number;
  observedAt: number;
  status: string | null;
}

export interface JobHistory {
  /** Snapshots for the chart, oldest first: every one when few, else sampled (see `sampledHistory`). */
  chart: ChartRow[];
  sampled: boolean;
  snapshotCount: number;
  /** The newest snapshots, newest first. */
  recent: SnapshotRow[];
  /** Snapshots where the status changed (the first one included), oldest first. */
  statusChanges: StatusChangeRow[];
  /** The snapshot that stood at `rateSince` (or the first, when the history is younger): the ETA's baseline. */
  rateReference: ChartRow | null;
}

const chartColumns = {
  id: snapshots.id,
  observedAt: snapshots.observedAt,
  status: snapshots.status,
  totalItems: snapshots.totalItems,
  processedItems: snapshots.processedItems,
  failedItems: snapshots.failedItems,
  skippedItems: snapshots.skippedItems,
};

/** Most status changes a timeline follows; a job flapping more often than this is cut off. */
export const MAX_STATUS_CHANGES = 200;

/**
 * Downsampling, in SQL: the time between the job's first and last snapshot is cut into `intervals`
 * equal steps, and for each of the `intervals + 1` boundaries the query picks the snapshot that was
 * current at that instant (the last one observed at or before it). Each pick is one seek on the
 * (job_id, observed_at, id) index and the first/last times are single index seeks too, so the query
 * reads about `intervals` rows however long the history is, and the Worker receives at most
 * `intervals + 1` rows. Counts only ever grow, so "the value at evenly spaced instants" is an
 * honest picture of the curve; status changes between two picks are shown by the timeline instead.
 */
export function sampledHistory(db: Database, jobId: string, intervals: number) {
  return db.all<{
    id: number;
    observed_at: number;
    status: string | null;
    total_items: number | null;
    processed_items: number | null;
    failed_items: number | null;
    skipped_items: number | null;
  }>(sql`
    with recursive
      span(t0, t1) as (
        select
          (select min(observed_at) from snapshots where job_id = ${jobId}),
          (select max(observed_at) from snapshots where job_id = ${jobId})
      ),
      step(i) as (select 0 union all select i + 1 from step where i < ${intervals}),
      pick(id) as (
        select (
          select s.id from snapshots s
          where s.job_id = ${jobId}
            and s.observed_at <= span.t0 + (span.t1 - span.t0) * step.i / ${intervals}
          order by s.observed_at desc, s.id desc
          limit 1
        )
        from step, span
      )
    select id, observed_at, status, total_items, processed_items, failed_items, skipped_items
    from snapshots
    where id in (select id from pick)
    order by observed_at, id
  `);
}

/**
 * The status changes, oldest first, found by hopping from one run of equal statuses to the next:
 * each step asks for the first later snapshot whose status differs. That walks the index once
 * (no window function, no sort, nothing buffered) and returns one row per change.
 */
export function statusChangesQuery(db: Database, jobId: string, limit = MAX_STATUS_CHANGES) {
  return db.all<{ id: number; observed_at: number; status: string | null }>(sql`
    with recursive runs(id, observed_at, status, n) as (
      select * from (
        select id, observed_at, status, 1 from snapshots
        where job_id = ${jobId}
        order by observed_at, id
        limit 1
      )
      union all
      select s.id, s.observed_at, s.status, runs.n + 1
      from runs join snapshots s on s.id = (
        select x.id from snapshots x
        where x.job_id = ${jobId}
          and (x.observed_at, x.id) > (runs.observed_at, runs.id)
          and x.status is not runs.status
        order by x.observed_at, x.id
        limit 1
      )
      where runs.n < ${limit}
    )
    select id, observed_at, status from runs order by observed_at, id
  `);
}

type RawChartRow = {
  id: number;
  observed_at: number;
  status: string | null;
  total_items: number | null;
  processed_items: number | null;
  failed_items: number | null;
  skipped_items: number | null;
};

function chartRow(row: RawChartRow): ChartRow {
  return {
    id: row.id,
    observedAt: row.observed_at,
    status: row.status,
    totalItems: row.total_items,
    processedItems: row.processed_items,
    failedItems: row.failed_items,
    skippedItems: row.skipped_items,
  };
}

/**
 * Everything the job page shows from a job's history: one D1 batch and the status-change walk in
 * parallel, then the sampled chart when the history has more than `maxPoints` snapshots.
 */
export async function jobHistory(
  db: Database,
  jobId: string,
  opts: { maxPoints: number; recent: number; rateSince: number },
): Promise<JobHistory> {
  // drizzle cannot put a raw query with parameters into a D1 batch, so the status-change walk runs
  // beside the batch rather than in it.
  const [[firstPoints, recent, counted, reference, firstSnapshot], changes] = await Promise.all([
    db.batch([
      // Small histories are drawn whole: one more row than fits tells us to sample instead.
      db
        .select(chartColumns)
        .from(snapshots)
        .where(eq(snapshots.jobId, jobId))
        .orderBy(snapshots.observedAt, snapshots.id)
        .limit(opts.maxPoints + 1),
      db
        .select()
        .from(snapshots)
        .where(eq(snapshots.jobId, jobId))
        .orderBy(desc(snapshots.observedAt), desc(snapshots.id))
        .limit(opts.recent),
      db.select({ n: sql<number>`count(*)` }).from(snapshots).where(eq(snapshots.jobId, jobId)),
      db
        .select(chartColumns)
        .from(snapshots)
        .where(and(eq(snapshots.jobId, jobId), lte(snapshots.observedAt, opts.rateSince)))
        .orderBy(desc(snapshots.observedAt), desc(snapshots.id))
        .limit(1),
      db
        .select(chartColumns)
        .from(snapshots)
        .where(eq(snapshots.jobId, jobId))
        .orderBy(snapshots.observedAt, snapshots.id)
        .limit(1),
    ]),
    statusChangesQuery(db, jobId),
  ]);

  let chart: ChartRow[] = firstPoints;
  const sampled = firstPoints.length > opts.maxPoints;
  if (sampled) {
    const rows = await sampledHistory(db, jobId, opts.maxPoints - 1);
    chart = rows.map(chartRow);
  }
  return {
    chart,
    sampled,
    snapshotCount: counted[0]?.n ?? 0,
    recent,
    statusChanges: changes.map((row) => ({ id: row.id, observedAt: row.observed_at, status: row.status })),
    rateReference: reference[0] ?? firstSnapshot[0] ?? null,
  };
}
