/** Each tick's record, and the health summary `/healthz` reads from it. */
import { desc, eq, sql } from "drizzle-orm";
import type { Database, Statement } from "./client";
import { jobs, ticks } from "./schema";

export interface TickRecord {
  startedAt: number;
  durationMs: number;
  due: number;
  polled: number;
  changed: number;
  errors: number;
  rateLimitedUntil: number | null;
}

export function tickStatement(db: Database, tick: TickRecord): Statement {
  return db.insert(ticks).values(tick);
}

export async function healthSummary(
  db: Database,
): Promise<{ lastTickAt: number | null; activeJobs: number }> {
  const [lastTick, active] = await db.batch([
    db
      .select({ startedAt: ticks.startedAt, durationMs: ticks.durationMs })
      .from(ticks)
      .orderBy(desc(ticks.id))
      .limit(1),
    db.select({ n: sql<number>`count(*)` }).from(jobs).where(eq(jobs.state, "active")),
  ]);
  const tick = lastTick[0];
  return { lastTickAt: tick ? tick.startedAt + tick.durationMs : null, activeJobs: active[0]?.n ?? 0 };
}
