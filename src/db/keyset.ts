import { and, eq, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/**
 * Keyset pagination, newest first, on (time, id): rows strictly after the cursor's position. Every
 * list in batchwatch pages this way, so a page costs an index range scan however deep it is.
 */
export function olderThan<T, I>(
  time: SQLiteColumn,
  id: SQLiteColumn,
  after: { time: T; id: I } | undefined,
): SQL | undefined {
  if (!after) return undefined;
  return or(lt(time, after.time), and(eq(time, after.time), lt(id, after.id)));
}

/** Splits a `limit + 1` query result into the page and the position the next page starts after. */
export function toPage<R, K>(rows: R[], limit: number, keyOf: (row: R) => K): { rows: R[]; next: K | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > limit && last !== undefined ? keyOf(last) : null };
}
