/** Each tick's record (/healthz and /metrics read the latest through db/metrics.ts). */
import type { Database, Statement } from "./client";
import { ticks } from "./schema";

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
