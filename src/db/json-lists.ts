/**
 * Lists that travel to D1 as JSON arrays: one bound parameter per statement however many values
 * (D1 allows 100 parameters), in chunks of about MAX_JSON_PER_STATEMENT characters, well inside
 * D1's 100 KB per statement. The items a poll writes and the job ids a claim gives back or a scan
 * looks up all go this way, so a long list costs a few statements, not one per hundred values.
 */
import { type SQL, type SQLWrapper, sql } from "drizzle-orm";

const MAX_JSON_PER_STATEMENT = 48_000;

/** `values`, each already JSON text, as JSON arrays of about MAX_JSON_PER_STATEMENT characters each. */
export function jsonChunks(values: readonly string[]): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const value of values) {
    if (current.length > 0 && size + value.length > MAX_JSON_PER_STATEMENT) {
      out.push(`[${current.join(",")}]`);
      current = [];
      size = 0;
    }
    current.push(value);
    size += value.length + 1;
  }
  if (current.length > 0) out.push(`[${current.join(",")}]`);
  return out;
}

/** `ids` as JSON arrays (jsonChunks), for `inJsonArray`. */
export function idChunks(ids: readonly string[]): string[] {
  return jsonChunks(ids.map((id) => JSON.stringify(id)));
}

/** `column` is one of the values of the JSON array `json` (an index lookup per value on a key column). */
export function inJsonArray(column: SQLWrapper, json: string): SQL {
  return sql`${column} in (select value from json_each(${json}))`;
}
