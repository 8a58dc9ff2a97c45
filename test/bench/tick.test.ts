// The workerd half of `npm run bench` (scripts/bench.ts): real ticks over the real local D1, with
// LlamaCloud answered by the simulator 50 ms late. It prints one `BENCH {json}` line per figure and
// asserts nothing; it only runs when the bench asks for it (BATCHWATCH_BENCH=1, vitest.config.ts),
// so the test suite skips it.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { ADMIN, call, type World, world } from "../helpers/app";
import { insertJobs, resetDatabase } from "../helpers/d1";
import { meteredTick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream } from "../helpers/upstream";
import { deliver, queueWorld, take } from "../queue/helpers";

const LATENCY_MS = 50;
const SIZES = [100, 1_000, 5_000];
const enabled = (env as unknown as Record<string, string | undefined>).BATCHWATCH_BENCH === "1";

const report = (figure: Record<string, unknown>) => console.log(`BENCH ${JSON.stringify(figure)}`);
const bound = (jobs: number) => Math.ceil(jobs / 6) * LATENCY_MS;

/** N running jobs upstream, stored as last seen pending and due now: each first poll is a change. */
async function seed(w: World, count: number, now: number): Promise<string[]> {
  const sim = upstream(w);
  const ids = Array.from({ length: count }, (_, i) => `bjb-bench-${count}-${i}`);
  for (const id of ids) await sim.createJob({ id, start_at: "running", total_items: 100 });
  for (let i = 0; i < ids.length; i += 1_000) {
    const chunk = ids.slice(i, i + 1_000);
    await insertJobs(chunk.map((jobId) => ({ jobId, trackedAt: now, nextPollAt: now, status: "pending" })));
  }
  await sim.fault({ kind: "latency", delay_ms: LATENCY_MS, forever: true });
  return ids;
}

async function timedTick(w: World, at: number) {
  const started = Date.now();
  const { result, d1: meter } = await meteredTick(w, at);
  return { ms: Date.now() - started, result, trips: meter.trips(), rows: meter.rowsWritten() };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function p50(w: World, path: string, runs = 15): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = Date.now();
    const res = await call(w, path, { headers: ADMIN });
    await res.text();
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
    times.push(Date.now() - started);
  }
  return median(times);
}

describe.runIf(enabled)("bench", () => {
  it("ticks inline", { timeout: 600_000 }, async () => {
    for (const count of SIZES) {
      const runs = count === 1_000 ? 3 : 1;
      const ratios: number[] = [];
      for (let run = 0; run < runs; run++) {
        await resetDatabase();
        const w = world(`bench-inline-${count}-${run}`);
        const now = Date.now();
        await seed(w, count, now);
        const first = await timedTick(w, now);
        // The same answers a few minutes later: every poll unchanged.
        const again = await timedTick(w, now + 11 * MINUTE);
        ratios.push(first.ms / bound(count));
        report({
          kind: "inline",
          jobs: count,
          run: run + 1,
          ms: first.ms,
          boundMs: bound(count),
          ratio: first.ms / bound(count),
          polled: first.result.polled,
          trips: first.trips,
          rowsWritten: first.rows,
          subrequests: first.result.subrequests,
          unchangedPolled: again.result.polled,
          unchangedTrips: again.trips,
          unchangedRowsWritten: again.rows,
        });
        if (count === 1_000 && run === runs - 1) {
          const [id] = [`bjb-bench-${count}-0`];
          report({
            kind: "reads",
            jobs: count,
            apiJobsMs: await p50(w, "/api/jobs"),
            dashboardMs: await p50(w, "/"),
            jobPageMs: await p50(w, `/jobs/${id}`),
          });
        }
      }
      if (runs > 1) report({ kind: "median", jobs: count, ratio: median(ratios), runs });
    }
  });

  it("ticks through the queue", { timeout: 600_000 }, async () => {
    for (const count of SIZES) {
      await resetDatabase();
      const w = queueWorld(`bench-queue-${count}`);
      const now = Date.now();
      await seed(w, count, now);
      const tick = await timedTick(w, now);
      const messages = take(w);
      // One consumer invocation per message, one after another: Cloudflare runs them side by side.
      const each: number[] = [];
      const started = Date.now();
      for (const message of messages) {
        const t = Date.now();
        const { error } = await deliver(w, [message]);
        if (error) throw error;
        each.push(Date.now() - t);
      }
      const consumersMs = Date.now() - started;
      report({
        kind: "queue",
        jobs: count,
        tickMs: tick.ms,
        tickTrips: tick.trips,
        tickRowsWritten: tick.rows,
        messages: messages.length,
        consumerMedianMs: median(each),
        consumersMs,
        boundMs: bound(count),
        ratio: (tick.ms + consumersMs) / bound(count),
      });
    }
  });
});
