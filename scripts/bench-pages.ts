// Benchmark of the job page against a real `wrangler dev` (local D1, workerd): page size and time to
// the full response for jobs with 100, 10,000 and 100,000 snapshots. It prints figures; it asserts
// nothing, since timings depend on the machine.
//
//   npx tsx scripts/bench-pages.ts [--runs 15]
//
// The history is seeded with `wrangler d1 execute --file` into a temporary `--persist-to` folder:
// each job's snapshots are generated inside SQLite by one recursive-CTE INSERT, so seeding 100,000
// rows takes a few seconds and binds no parameters at all.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { BIN, run } from "./processes";
import { migrateLocal, startStack } from "./stack";

const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
const RUNS = Math.max(3, Number(values.runs) || 15);
const SIZES = [100, 10_000, 100_000];
const MINUTE = 60_000;

function seedSql(now: number): string {
  const statements: string[] = [];
  for (const count of SIZES) {
    const id = `bjb-bench-${count}`;
    const total = count * 3;
    const t0 = now - count * MINUTE;
    // An active job, so the page shows everything it can: ETA, refresh, health.
    statements.push(
      `insert into jobs (job_id, label, job_type, status, total_items, processed_items, failed_items, skipped_items,
         progress_percentage, upstream_job, state, tracked_at, last_polled_at, last_success_at, last_change_at,
         next_poll_at, poll_interval_seconds)
       values ('${id}', 'Benchmark, ${count} snapshots', 'parse', 'running', ${total + 300},
         ${total - 3 - Math.floor(count / 50) - Math.floor(count / 100)}, ${Math.floor(count / 50)},
         ${Math.floor(count / 100)}, ${((100 * total) / (total + 300)).toFixed(2)}, '{"directory_id":"dir-bench"}',
         'active', ${t0}, ${now}, ${now}, ${now - MINUTE}, ${now + MINUTE}, 60);`,
      `with recursive seq(i) as (select 0 union all select i + 1 from seq where i < ${count - 1})
       insert into snapshots (job_id, observed_at, source, status, total_items, processed_items, failed_items,
         skipped_items, progress_percentage, status_changed)
       select '${id}', ${t0} + i * ${MINUTE}, 'poll', case when i < 3 then 'pending' else 'running' end,
         ${total + 300}, i * 3 - i / 50 - i / 100, i / 50, i / 100, round(100.0 * i * 3 / ${total + 300}, 2),
         i in (0, 3)
       from seq;`,
    );
  }
  return statements.join("\n");
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main() {
  const persistTo = mkdtempSync(path.join(tmpdir(), "batchwatch-bench-"));
  const sqlFile = path.join(persistTo, "seed.sql");
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  try {
    const wrangler = path.join(BIN, "wrangler");
    await migrateLocal(persistTo);
    writeFileSync(sqlFile, seedSql(Date.now()));
    let started = performance.now();
    await run(wrangler, [
      "d1",
      "execute",
      "DB",
      "--local",
      "--persist-to",
      persistTo,
      "--file",
      sqlFile,
      "--yes",
    ]);
    console.log(
      `seeded ${SIZES.join(" + ")} snapshots in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    // No upstream is needed: the page only reads D1. The upstream URL points nowhere on purpose.
    stack = await startStack({ persistTo, upstreamUrl: "http://127.0.0.1:9", apiKey: "llx-bench" });
    const auth = { authorization: `Basic ${btoa(`bench:${stack.readToken}`)}` };

    console.log(
      `\njob page, ${RUNS} timed requests each after 2 warm-ups (wrangler dev, local D1, this machine):`,
    );
    console.log("snapshots | page bytes | chart points | median ms | p90 ms | min ms");
    for (const count of SIZES) {
      const url = `${stack.url}/jobs/bjb-bench-${count}`;
      let html = "";
      for (let i = 0; i < 2; i++) html = await (await fetch(url, { headers: auth })).text();
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        started = performance.now();
        const res = await fetch(url, { headers: auth });
        html = await res.text();
        times.push(performance.now() - started);
        if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
      }
      times.sort((a, b) => a - b);
      const bytes = new TextEncoder().encode(html).length;
      const points = /points="([^"]*)" data-series="processed"/.exec(html);
      const pointCount = points?.[1]?.split(" ").length ?? Number.NaN;
      console.log(
        [
          String(count).padStart(9),
          String(bytes).padStart(10),
          String(pointCount).padStart(12),
          percentile(times, 50).toFixed(1).padStart(9),
          percentile(times, 90).toFixed(1).padStart(6),
          (times[0] ?? Number.NaN).toFixed(1).padStart(6),
        ].join(" | "),
      );
    }
  } finally {
    await stack?.stop();
    rmSync(persistTo, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
