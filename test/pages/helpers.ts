import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import type { Bindings } from "../../src/config";
import { database } from "../../src/db/client";
import { type SnapshotRow, snapshots } from "../../src/db/schema";

import { call, READ_TOKEN } from "../helpers/app";

export { ADMIN_TOKEN, READ_TOKEN } from "../helpers/app";
export const BASIC_READ = { authorization: `Basic ${btoa(`viewer:${READ_TOKEN}`)}` };

export const baseEnv = env as unknown as Bindings;
export const db = database(env.DB);

/** A request through the real app (all middleware, the real local D1), as a browser would send it. */
export async function get(
  path: string,
  opts: { headers?: Record<string, string>; env?: Partial<Bindings> } = {},
): Promise<Response> {
  return call({ key: "", env: { ...baseEnv, ...opts.env } }, path, { headers: opts.headers ?? BASIC_READ });
}

export async function page(path: string): Promise<string> {
  const res = await get(path);
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return res.text();
}

export type SnapshotFields = Partial<Omit<SnapshotRow, "id">> & { observedAt: number };

/** Inserts snapshots in statements of at most 8 rows (11 columns each: under D1's 100 bound parameters). */
export async function insertSnapshots(jobId: string, rows: SnapshotFields[]): Promise<void> {
  // Marks status changes as the monitor does when it writes snapshots, in time order.
  const ordered = [...rows].sort((a, b) => a.observedAt - b.observedAt);
  const values = ordered.map((r, i) => ({
    jobId,
    source: "poll" as const,
    statusChanged: i === 0 || (r.status ?? null) !== (ordered[i - 1]?.status ?? null),
    ...r,
  }));
  const statements = [];
  for (let i = 0; i < values.length; i += 8)
    statements.push(db.insert(snapshots).values(values.slice(i, i + 8)));
  for (let i = 0; i < statements.length; i += 50) {
    const chunk = statements.slice(i, i + 50);
    if (chunk.length > 0) await db.batch(chunk as [(typeof chunk)[number], ...typeof chunk]);
  }
}

/**
 * Generates `count` snapshots inside SQLite with a recursive CTE (one statement, four bound
 * parameters), so 100,000 rows are seeded in well under a second. The job goes pending → running →
 * completed, counts grow by about three items per snapshot, one snapshot a minute.
 */
export async function seedLongHistory(
  jobId: string,
  count: number,
  t0: number,
  stepMs = 60_000,
): Promise<void> {
  await db.run(sql`
    with recursive seq(i) as (select 0 union all select i + 1 from seq where i < ${count - 1})
    insert into snapshots (job_id, observed_at, source, status, total_items, processed_items, failed_items,
                           skipped_items, progress_percentage, error_message, upstream_updated_at, status_changed)
    select ${jobId}, ${t0} + i * ${stepMs}, 'poll',
           case when i < 5 then 'pending' when i = ${count - 1} then 'completed' else 'running' end,
           ${count * 3}, i * 3 - i / 50 - i / 100, i / 50, i / 100,
           round(100.0 * i / ${count}, 2), null, null, i in (0, 5, ${count - 1})
    from seq
  `);
}

export interface Found {
  attrs: Record<string, string>;
  /** The element's text content, entities decoded. */
  text: string;
}

const VOID_ELEMENTS = new Set(["meta", "link", "input", "br", "img", "hr", "source", "wbr"]);

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };

/** Text as a browser would show it (HTMLRewriter hands over the source, entities and all). */
export function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ENTITIES[name] ?? "");
}

/** The elements matching a CSS selector, parsed by workerd's own HTMLRewriter (not by regex). */
export async function select(html: string, selector: string): Promise<Found[]> {
  const found: Found[] = [];
  let open: Found[] = [];
  await new HTMLRewriter()
    .on(selector, {
      element(el) {
        const item: Found = { attrs: Object.fromEntries(el.attributes), text: "" };
        found.push(item);
        if (VOID_ELEMENTS.has(el.tagName)) return;
        open.push(item);
        el.onEndTag(() => {
          open = open.filter((o) => o !== item);
        });
      },
      text(chunk) {
        for (const item of open) item.text += chunk.text;
      },
    })
    .transform(new Response(html))
    .text();
  for (const item of found) item.text = decodeEntities(item.text);
  return found;
}
