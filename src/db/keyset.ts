/**
 * Keyset pagination, newest first, on (time, id): rows strictly after the cursor's position. Every
 * list in batchwatch pages this way, so a page costs an index range scan however deep it is.
 */
import { and, eq, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/** Where a page ends: the (time, id) of its last row. */
export interface Position<I extends string | number = string> {
  time: number;
  id: I;
}

/** The condition for rows after `after` in (time, id) order, newest first; none without a position. */
export function olderThan(
  time: SQLiteColumn,
  id: SQLiteColumn,
  after: Position<string | number> | undefined,
): SQL | undefined {
  if (!after) return undefined;
  return or(lt(time, after.time), and(eq(time, after.time), lt(id, after.id)));
}

/** Splits a `limit + 1` query result into the page and the position the next page starts after. */
export function toPage<R, I extends string | number>(
  rows: R[],
  limit: number,
  keyOf: (row: R) => Position<I>,
): { rows: R[]; next: Position<I> | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > limit && last !== undefined ? keyOf(last) : null };
}
