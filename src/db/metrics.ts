/**
 * What GET /metrics and /healthz read, and the counter increments that the polls and deliveries add
 * to their own write batches (so a counter only counts what was written, and only ever grows).
 */
import { count, desc, eq, sql } from "drizzle-orm";
import type { Database, Statement } from "./client";
import { type CounterRow, counters, deliveries, jobs, monitorState, ticks } from "./schema";

/** Counter names (each with one label) as stored; present/metrics.ts gives them their Prometheus names. */
export const COUNTERS = {
  /** label: changed | unchanged | failed. Every status request: tick, track, manual, callback. */
  polls: "polls",
  /** label: the failure kind (unauthorized, rate_limited, timeout, …) of each failed poll. */
  pollFailures: "poll_failures",
  /** label: delivered | failed. Every notification delivery attempt. */
  deliveryAttempts: "delivery_attempts",
} as const;

export interface CounterIncrement {
  name: string;
  label: string;
  by: number;
}

/**
 * One upsert per counter: `value = value + by`, and `updated_at` the time of this write. Increments of
 * the same counter are added up first, so a tick of 500 polls writes a handful of rows, not 500.
 */
export function counterStatements(db: Database, increments: CounterIncrement[], now: number): Statement[] {
  const totals = new Map<string, CounterIncrement>();
  for (const inc of increments) {
    if (inc.by <= 0) continue;
    const key = JSON.stringify([inc.name, inc.label]);
    const seen = totals.get(key);
    totals.set(key, { ...inc, by: (seen?.by ?? 0) + inc.by });
  }
  return [...totals.values()].map((inc) =>
    db
      .insert(counters)
      .values({ name: inc.name, label: inc.label, value: inc.by, updatedAt: now })
      .onConflictDoUpdate({
        target: [counters.name, counters.label],
        set: { value: sql`${counters.value} + excluded.value`, updatedAt: sql`excluded.updated_at` },
      }),
  );
}

/** The monitor_state key that says whether the latest polls found the API key accepted. */
const UPSTREAM_AUTH_KEY = "upstream_auth";
export type UpstreamAuth = "accepted" | "refused";

/**
 * Records what the latest batch of polls said of the API key: `refused` when LlamaCloud answered
 * 401/403 and no poll of the batch succeeded, `accepted` when one did. Last write wins.
 */
export function upstreamAuthStatement(db: Database, state: UpstreamAuth, now: number): Statement {
  return db
    .insert(monitorState)
    .values({ key: UPSTREAM_AUTH_KEY, value: state, updatedAt: now })
    .onConflictDoUpdate({ target: monitorState.key, set: { value: state, updatedAt: now } });
}

export interface MonitorFigures {
  jobs: { state: string; status: string | null; api: string; n: number }[];
  deliveries: { status: string; n: number }[];
  counters: CounterRow[];
  lastTick: { startedAt: number; durationMs: number } | null;
  activeJobs: number;
}

/**
 * Everything /metrics and /healthz show, in one D1 round trip. The job and delivery gauges read one
 * row (or index entry) per job and per delivery: a gauge over all of them cannot read fewer.
 */
export async function monitorFigures(db: Database): Promise<MonitorFigures> {
  const [jobRows, deliveryRows, counterRows, lastTick] = await db.batch([
    db
      .select({ state: jobs.state, status: jobs.status, api: jobs.api, n: count() })
      .from(jobs)
      .groupBy(jobs.state, jobs.status, jobs.api),
    // Counted from deliveries_status_time_idx (status leads it), without reading the rows.
    db.select({ status: deliveries.status, n: count() }).from(deliveries).groupBy(deliveries.status),
    db.select().from(counters),
    db
      .select({ startedAt: ticks.startedAt, durationMs: ticks.durationMs })
      .from(ticks)
      .orderBy(desc(ticks.id))
      .limit(1),
  ]);
  return {
    jobs: jobRows,
    deliveries: deliveryRows,
    counters: counterRows,
    lastTick: lastTick[0] ?? null,
    activeJobs: jobRows.filter((r) => r.state === "active").reduce((sum, r) => sum + r.n, 0),
  };
}

export interface HealthFigures {
  lastTick: { startedAt: number; durationMs: number } | null;
  activeJobs: number;
  /** What the latest polls said of the API key, and when; null before any poll. */
  upstreamAuth: { state: UpstreamAuth; at: number } | null;
}

/** What /healthz needs, in one D1 round trip of small reads (the active count comes from jobs_due_idx). */
export async function healthFigures(db: Database): Promise<HealthFigures> {
  const [lastTick, active, authRow] = await db.batch([
    db
      .select({ startedAt: ticks.startedAt, durationMs: ticks.durationMs })
      .from(ticks)
      .orderBy(desc(ticks.id))
      .limit(1),
    db.select({ n: count() }).from(jobs).where(eq(jobs.state, "active")),
    db
      .select({ value: monitorState.value, at: monitorState.updatedAt })
      .from(monitorState)
      .where(eq(monitorState.key, UPSTREAM_AUTH_KEY)),
  ]);
  const auth = authRow[0];
  return {
    lastTick: lastTick[0] ?? null,
    activeJobs: active[0]?.n ?? 0,
    upstreamAuth: auth ? { state: auth.value === "refused" ? "refused" : "accepted", at: auth.at } : null,
  };
}
