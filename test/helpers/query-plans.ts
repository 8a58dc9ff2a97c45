// SQLite's own query plan for the exact SQL drizzle generates, so the index tests prove a query is answered
// from an index rather than trusting what its author meant.
import { env } from "cloudflare:workers";
import type { Statement } from "../../src/db/client";

/** The `detail` lines of `explain query plan` for one statement, with its own bound parameters. */
export async function queryPlan(statement: Statement): Promise<string[]> {
  const { sql, params } = (
    statement as unknown as { toSQL: () => { sql: string; params: unknown[] } }
  ).toSQL();
  const { results } = await env.DB.prepare(`explain query plan ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}
