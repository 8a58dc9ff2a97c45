// What scanning a project with 500 batches costs: upstream subrequests and D1 round trips of its
// first scan, how many scans it takes to track them all (50 a scan), and a later scan once they are
// tracked. Counted by the tick itself (its budget and its round trips) and checked at the D1 binding.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { type World, world } from "../helpers/app";
import { resetDatabase } from "../helpers/d1";
import { meteredTick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream } from "../helpers/upstream";
import { createWatch, jobsFoundBy } from "./helpers";

beforeEach(resetDatabase);

type Mix = { v1Active: number; v1Over: number; v2Active: number; v2Over: number };

async function seed(w: World, mix: Mix) {
  const sim = upstream(w);
  const make = async (n: number, fn: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < n; i++) await fn(i);
  };
  await make(mix.v1Active, (i) =>
    sim.createJob({ id: `bjb-a${i}`, project_id: "prj-500", start_at: "running" }),
  );
  await make(mix.v1Over, (i) => sim.createJob({ id: `bjb-o${i}`, project_id: "prj-500", start_at: "end" }));
  // Ten files each, all mapped to jobs still running: a tracking poll is the batch and one child page.
  const batch = { project_id: "prj-500", total_files: 10, files_per_step: 10 };
  await make(mix.v2Active, (i) => sim.createBatch({ id: `bat-a${i}`, ...batch, start_at: "mapped" }));
  await make(mix.v2Over, (i) => sim.createBatch({ id: `bat-o${i}`, ...batch, start_at: "end" }));
}

async function scanTick(w: World, at: number) {
  const { result, d1: counted } = await meteredTick(w, at);
  expect(counted.trips()).toBe(result.roundTrips);
  return result;
}

describe("the cost of scanning a project with 500 batches", () => {
  it.each([
    // The first scan's round trips: one lookup of the listed ids, the tracked jobs' writes in as few
    // batches as fit (50 jobs' 250 statements or more need two), one write of the watch's outcome.
    ["500 v1 jobs, all running", { v1Active: 500, v1Over: 0, v2Active: 0, v2Over: 0 }, 4],
    ["500 v2 batches, all running", { v1Active: 0, v1Over: 0, v2Active: 500, v2Over: 0 }, 4],
    [
      "500 batches of both generations, 20 still running",
      { v1Active: 10, v1Over: 240, v2Active: 10, v2Over: 240 },
      3,
    ],
  ] as const)(
    "%s",
    async (label, mix, firstTrips) => {
      const w = world(`cost-${mix.v1Active}-${mix.v2Active}`);
      await seed(w, mix);
      const watch = await createWatch(w, { project_id: "prj-500" });
      const active = mix.v1Active + mix.v2Active;
      // Long after the batches were created, so later v2 passes list only what is new.
      const t0 = Date.now() + 30 * MINUTE;

      const first = await scanTick(w, t0);
      let scans = 1;
      while ((await jobsFoundBy(watch.id)).length < active && scans < 20) {
        await scanTick(w, t0 + scans * MINUTE);
        scans++;
      }
      expect(await jobsFoundBy(watch.id)).toHaveLength(active);
      // The later scan on its own: the tracked jobs' polls (which come first) are put off for this tick.
      await env.DB.prepare("update jobs set next_poll_at = ?")
        .bind(t0 + 24 * 60 * MINUTE)
        .run();
      const later = await scanTick(w, t0 + (scans + 1) * MINUTE);
      expect(later.discovery.found).toBe(0);

      const line = (name: string, r: typeof first) =>
        `${name}: ${r.discovery.requests} subrequests (${r.discovery.pages} list pages), ` +
        `${r.discovery.roundTrips} D1 round trips for the scan, ${r.discovery.found} jobs found; ` +
        `the whole tick ${r.roundTrips} round trips`;
      console.log(
        `${label}\n  ${line("first scan", first)}\n  all ${active} tracked after ${scans} scans\n  ${line("later scan", later)}`,
      );
      expect(first.discovery.found).toBe(Math.min(active, 50));
      expect(first.discovery.roundTrips).toBe(firstTrips);
      expect(later.discovery.roundTrips).toBeLessThanOrEqual(2);
    },
    120_000,
  );
});
