/**
 * What every keyset-paged list route shares (README "Using it"): the `limit` and `cursor` query
 * fields, where they say the page starts, and the answer `{<rows>: [...], next_cursor}` whose cursor
 * is null on the last page.
 */
import { z } from "@hono/zod-openapi";
import type { Position } from "../db/keyset";
import { encodeCursor } from "./cursor";
import { cursorQuery, limitQuery } from "./inputs";
import { jsonContent } from "./openapi";

/** A list's page size and where the previous page ended: spread into the route's query object. */
export const PAGE_QUERY = { limit: limitQuery, cursor: cursorQuery };

/**
 * The page a query of PAGE_QUERY asks for, as db/ lists take it. `decode` is the cursor's
 * decoder in ./cursor.ts (text- or number-keyed list); a cursor it did not hand out is a 400.
 */
export function pageAt<A>(query: { limit: number; cursor?: string }, decode: (cursor?: string) => A) {
  return { limit: query.limit, after: decode(query.cursor) };
}

type PageShape<K extends string, S extends z.ZodType> = { [P in K]: z.ZodArray<S> } & {
  next_cursor: z.ZodNullable<z.ZodString>;
};

/** The OpenAPI answer "A page of <key>", each row shaped by `row`. */
export function pageContent<K extends string, S extends z.ZodType>(key: K, row: S) {
  // A computed key widens to string; the cast names the one key it is.
  const shape = { [key]: z.array(row), next_cursor: z.string().nullable() } as PageShape<K, S>;
  return jsonContent(z.object(shape), `A page of ${key}`);
}

/** A page read from db/ (its rows, and the position after the last when more follow), presented. */
export function pageAnswer<K extends string, R, T>(
  key: K,
  page: { rows: R[]; next: Position<string | number> | null },
  present: (row: R) => T,
) {
  const answer = {
    [key]: page.rows.map((row) => present(row)),
    next_cursor: page.next && encodeCursor(page.next),
  };
  return answer as { [P in K]: T[] } & { next_cursor: string | null };
}
