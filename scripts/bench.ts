// `npm run bench`: the standing benchmark. It prints figures and asserts nothing, since timings
// depend on the machine (README "Benchmarks" shows its latest output and where it ran):
// - tick time against the 6-connection bound (ceil(N / 6) × 50 ms) for 100, 1,000 and 5,000 due jobs
//   at 50 ms upstream latency, inline and through the queue (median of 3 runs for 1,000 inline);
// - D1 round trips and `meta.rows_written` per tick and per unchanged poll, subrequests per tick;
// - the read p50 of the job list (GET /api/jobs, the dashboard) and a job page with 1,000 jobs stored;
// - the bundle's size, gzipped, from `wrangler deploy --dry-run --outdir`.
// The ticks run in workerd over the real local D1 (test/bench/tick.test.ts, which only runs here).
//
//   npx tsx scripts/bench.ts

import { execSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { gzipSync } from "node:zlib";
import { BIN, run } from "./processes";

type Figure = Record<string, number | string>;

async function bundle(): Promise<{ raw: number; gzip: number }> {
  const outdir = mkdtempSync(path.join(tmpdir(), "batchwatch-bundle-"));
  try {
    await run(path.join(BIN, "wrangler"), ["deploy", "--dry-run", "--outdir", outdir]);
    let raw = 0;
    let gzip = 0;
    for (const name of readdirSync(outdir)) {
      const file = path.join(outdir, name);
      if (!statSync(file).isFile() || name.endsWith(".map")) continue;
      const bytes = readFileSync(file);
      raw += bytes.length;
      gzip += gzipSync(bytes, { level: 9 }).length;
    }
    return { raw, gzip };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

async function ticks(): Promise<Figure[]> {
  const output = await run(
    path.join(BIN, "vitest"),
    ["run", "--project", "workers", "test/bench/tick.test.ts"],
    {
      BATCHWATCH_BENCH: "1",
    },
  );
  return output
    .split("\n")
    .map((line) => stripVTControlCharacters(line))
    .filter((line) => line.startsWith("BENCH "))
    .map((line) => JSON.parse(line.slice("BENCH ".length)) as Figure);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const x = (ratio: unknown) => `${Number(ratio).toFixed(2)}×`;

function machine(): string {
  const node = process.version;
  const model = cpus()[0]?.model ?? "unknown CPU";
  let nproc = String(cpus().length);
  try {
    nproc = execSync("nproc").toString().trim();
  } catch {}
  return `${nproc} cores (nproc), ${model}, Node ${node}`;
}

const size = await bundle();
const figures = await ticks();
const of = (kind: string) => figures.filter((f) => f.kind === kind);

console.log(`machine: ${machine()}\n`);
console.log("tick, inline (due jobs at 50 ms upstream latency; bound = ceil(N / 6) × 50 ms)\n");
console.log(
  "| due jobs | run | polled | tick | bound | ratio | D1 round trips | rows written | subrequests |",
);
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const f of of("inline")) {
  console.log(
    `| ${f.jobs} | ${f.run} | ${f.polled} | ${f.ms} ms | ${f.boundMs} ms | ${x(f.ratio)} | ${f.trips} | ${f.rowsWritten} | ${f.subrequests} |`,
  );
}
for (const f of of("median"))
  console.log(`\n${f.jobs} due jobs inline: median of ${f.runs} runs ${x(f.ratio)} the bound`);

console.log("\nunchanged polls (the same jobs a tick later, nothing new upstream)\n");
console.log("| due jobs | D1 round trips | rows written | rows written per unchanged poll |");
console.log("|---:|---:|---:|---:|");
for (const f of of("inline").filter((f) => f.run === 1)) {
  const perPoll = Number(f.unchangedRowsWritten) / Math.max(1, Number(f.unchangedPolled));
  console.log(
    `| ${f.unchangedPolled} | ${f.unchangedTrips} | ${f.unchangedRowsWritten} | ${perPoll.toFixed(2)} |`,
  );
}

const queued = of("queue");
console.log(
  "\ntick through the queue (the tick claims and sends; one consumer per message, run one after another)\n",
);
if (queued.length === 0) {
  console.log("queue: not available");
} else {
  console.log(
    "| due jobs | tick (claim + send) | messages | consumer p50 | consumers in all | bound | ratio |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|");
  for (const f of queued) {
    console.log(
      `| ${f.jobs} | ${f.tickMs} ms, ${f.tickTrips} trips | ${f.messages} | ${f.consumerMedianMs} ms | ${f.consumersMs} ms | ${f.boundMs} ms | ${x(f.ratio)} |`,
    );
  }
}

console.log("\nreads with 1,000 jobs stored (p50 of 15, in workerd)\n");
for (const f of of("reads")) {
  console.log(`GET /api/jobs ${f.apiJobsMs} ms, GET / ${f.dashboardMs} ms, GET /jobs/:id ${f.jobPageMs} ms`);
}
console.log(`\nbundle: ${kb(size.raw)}, ${kb(size.gzip)} gzipped (wrangler deploy --dry-run --outdir)`);
