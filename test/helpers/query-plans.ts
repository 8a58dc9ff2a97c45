// SQLite's own query plan for the exact SQL drizzle generates, so the index tests prove a query is answered
// from an index rather than trusting what its author meant.
import { env } from "cloudflare:workers";
import { expect } from "vitest";
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

/**
 * Checks that no statement reads one of `tables` by a full scan (SQLite's `SCAN t` without `USING …
 * INDEX`), failing with the statement's whole plan.
 */
export async function expectIndexed(statements: Statement[], tables: string[]): Promise<void> {
  const scan = new RegExp(`^SCAN (${tables.join("|")})\\b(?! USING)`);
  for (const statement of statements) {
    const details = await queryPlan(statement);
    expect(
      details.filter((d) => scan.test(d)),
      details.join("\n"),
    ).toEqual([]);
  }
}
