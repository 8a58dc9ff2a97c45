// WORKERS_PLAN through the real tick (README "Plans and limits"): on "free" every invocation stays
// inside 50 subrequests and 50 D1 queries, counted where they happen — upstream requests in the
// simulator's request log, delivery attempts at the receiver, D1 statements at the binding (every
// statement of a batch counts) — and what does not fit is done by later ticks with nothing lost; the
// "paid" default polls 5,000 due jobs in one tick inside 10,000 subrequests and 1,000 D1 queries.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { runTick } from "../../src/monitor/tick";
import { admin, type World, world } from "../helpers/app";
import { countRows, insertJobs, resetDatabase } from "../helpers/d1";
import { meterD1 } from "../helpers/d1-meter";
import { pollNow, trackRunning } from "../helpers/jobs";
import { meteredTick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream, withUpstream } from "../helpers/upstream";
import { pendingDeliveries, receiver, subscribe } from "../notifications/helpers";
import { createWatch, jobsFoundBy } from "../watches/helpers";

const FREE_SUBREQUESTS = 50;
const FREE_QUERIES = 50;

beforeEach(resetDatabase);

/** Due jobs as the monitor last saw them (running), oldest due first by index; finished upstream. */
async function dueJobs(w: World, ids: string[], now: number, opts: { upstream: boolean }) {
  const sim = upstream(w);
  if (opts.upstream) for (const id of ids) await sim.createJob({ id, total_items: 10, start_at: "end" });
  const rows = ids.map((jobId, i) => ({
    jobId,
    upstreamUpdatedAt: new Date(now - 3_600_000).toISOString(),
    nextPollAt: now - ids.length + i,
  }));
  for (let i = 0; i < rows.length; i += 500) await insertJobs(rows.slice(i, i + 500));
}

describe("WORKERS_PLAN", () => {
  it("free: 200 due jobs, 30 pending deliveries and a watch, every tick inside 50 subrequests and 50 D1 queries, nothing lost", {
    timeout: 180_000,
  }, async () => {
    const w = world("plan-free", { WORKERS_PLAN: "free" });
    const sim = upstream(w);
    const r = receiver("plan-free");
    const now = Date.now();
    const ids = Array.from({ length: 200 }, (_, i) => `bjb-free-${String(i).padStart(3, "0")}`);
    await dueJobs(w, ids, now, { upstream: true });
    // The subscription takes only job.stalled, which none of these polls raises: its 30 pending
    // deliveries are the only ones.
    const sub = await subscribe(w, { url: r.url(), events: ["job.stalled"] });
    await pendingDeliveries(sub.id, [ids[0] as string], 30, now, { tag: "plan", type: "job.stalled" });
    for (const id of ["bjb-watched-1", "bjb-watched-2"]) {
      await sim.createJob({ id, project_id: "prj-plans", start_at: "running" });
    }
    const watch = await createWatch(w, { project_id: "prj-plans", apis: ["v1"] });

    const finishedIn = new Map<string, number>();
    let ticks = 0;
    let at = now;
    let discovered = 0;
    for (; ticks < 150; ticks++, at += MINUTE) {
      const upstreamBefore = (await sim.requests()).length;
      const receivedBefore = (await r.requests()).length;
      const { result, d1: meter } = await meteredTick(w, at);
      const made =
        (await sim.requests()).length - upstreamBefore + (await r.requests()).length - receivedBefore;
      expect(made, `subrequests of tick ${ticks}`).toBeLessThanOrEqual(FREE_SUBREQUESTS);
      expect(made, "the budget counts every subrequest made").toBe(result.subrequests);
      expect(meter.queries(), `D1 queries of tick ${ticks}`).toBeLessThanOrEqual(FREE_QUERIES);
      expect(meter.queries(), "the budget never counts fewer queries than were made").toBeLessThanOrEqual(
        result.queries,
      );
      if (ticks === 0) {
        console.log(
          `free tick 0: ${made} subrequests (${result.polled} polls, ${result.deliveries} deliveries), ` +
            `${meter.queries()} D1 queries in ${meter.trips()} round trips`,
        );
      }
      discovered += result.discovery.pages;
      const { results } = await env.DB.prepare(
        "select job_id from jobs where state = 'finished' and job_id like 'bjb-free-%'",
      ).all<{ job_id: string }>();
      for (const row of results) if (!finishedIn.has(row.job_id)) finishedIn.set(row.job_id, ticks);
      const delivered = await countRows("deliveries", "status = 'delivered'");
      const found = (await jobsFoundBy(watch.id)).length;
      if (finishedIn.size === ids.length && delivered === 30 && found === 2) break;
    }
    console.log(`free plan: 200 jobs, 30 deliveries and a watch done in ${ticks + 1} ticks`);
    // Nothing lost: every job polled to its end exactly once, every delivery sent once, the watch's
    // jobs found; the oldest due went first (the first tick only polled among the first 40 claimed).
    expect(finishedIn.size).toBe(ids.length);
    expect(await countRows("snapshots", "source = 'poll' and job_id like 'bjb-free-%'")).toBe(ids.length);
    for (const id of ids) expect(await sim.requestCount(id, "status"), id).toBe(1);
    const firstTick = ids.filter((id) => finishedIn.get(id) === 0).map((id) => ids.indexOf(id));
    expect(firstTick.length).toBeGreaterThan(0);
    expect(Math.max(...firstTick)).toBeLessThan(40);
    expect(await countRows("deliveries", "status = 'delivered'")).toBe(30);
    expect(await r.requests()).toHaveLength(30);
    expect(await jobsFoundBy(watch.id)).toEqual(["bjb-watched-1", "bjb-watched-2"]);
    expect(discovered).toBeGreaterThan(0);
    // No lease left behind by a job given back.
    expect(await countRows("jobs", "lease_token is not null")).toBe(0);
  });

  it("paid (the default): one tick polls 5,000 due jobs inside 10,000 subrequests and 1,000 D1 queries", {
    timeout: 300_000,
  }, async () => {
    const { w, sim, t0: now } = withUpstream(world("plan-paid"));
    // Unknown upstream (404): one request a poll, which is all this test counts.
    const ids = Array.from({ length: 5_000 }, (_, i) => `bjb-paid-${i}`);
    await dueJobs(w, ids, now, { upstream: false });
    const startedAt = Date.now();
    const { result, d1: meter } = await meteredTick(w, now);
    const seconds = (Date.now() - startedAt) / 1_000;
    console.log(
      `paid tick of 5,000 due jobs: ${result.subrequests} subrequests, ${meter.trips()} D1 round trips ` +
        `(${meter.queries()} statements), ${seconds.toFixed(1)} s`,
    );
    expect(result.polled).toBe(5_000);
    expect((await sim.requests()).length).toBe(5_000);
    expect(result.subrequests).toBe(5_000);
    expect(meter.trips()).toBeLessThanOrEqual(1_000);
    expect(meter.trips()).toBe(result.roundTrips);
    expect(await countRows("jobs", "consecutive_not_found = 1")).toBe(5_000);
  });

  it("an unchanged poll writes three rows: its claim, then its clock and schedule (not every field again)", async () => {
    const { w, sim, t0: now } = withUpstream(world("plan-rows"));
    const ids = Array.from({ length: 30 }, (_, i) => `bjb-rows-${i}`);
    for (const id of ids) await sim.createJob({ id, start_at: "running", total_items: 100 });
    await insertJobs(ids.map((jobId) => ({ jobId, nextPollAt: now })));
    // The first poll of each is a change (the stored counts are not upstream's); the next ones are not.
    await runTick(w.env, now);
    const rowsOfTick = async (due: number, at: number) => {
      await env.DB.prepare(
        "update jobs set next_poll_at = ? where job_id in (select job_id from jobs order by job_id limit ?)",
      )
        .bind(now, due)
        .run();
      const { result, d1: meter } = await meteredTick(w, at);
      expect(result.polled).toBe(due);
      expect(result.changed).toBe(0);
      return meter.rowsWritten();
    };
    const ten = await rowsOfTick(10, now + 20_000);
    const twenty = await rowsOfTick(20, now + 40_000);
    const perPoll = (twenty - ten) / 10;
    console.log(`rows written per unchanged poll: ${perPoll} (a tick of 10 unchanged polls: ${ten})`);
    expect(perPoll).toBeLessThanOrEqual(3);
  });

  it("free: a manual poll whose change fans out to 40 subscriptions stays inside 50 subrequests and 50 D1 queries", async () => {
    const meter = meterD1(env.DB);
    const w = world("plan-route", { WORKERS_PLAN: "free", DB: meter.db });
    const sim = upstream(w);
    const r = receiver("plan-route");
    await trackRunning(w, "bjb-route");
    for (let i = 0; i < 40; i++) await subscribe(w, { url: r.url(), events: ["job.progressed"] });
    await sim.advance("bjb-route");
    const upstreamBefore = (await sim.requests()).length;
    meter.reset();
    // The request and its first attempts after the answer (waitUntil) are one invocation.
    expect((await pollNow(w, "bjb-route")).status).toBe(200);
    const made = (await sim.requests()).length - upstreamBefore + (await r.requests()).length;
    console.log(`manual poll with 40 subscriptions: ${made} subrequests, ${meter.queries()} D1 queries`);
    expect(made).toBeLessThanOrEqual(FREE_SUBREQUESTS);
    expect(meter.queries()).toBeLessThanOrEqual(FREE_QUERIES);
    // What the first attempts did not reach waits for the tick.
    expect(await countRows("deliveries", "status = 'pending'")).toBeGreaterThan(0);
  });

  it("free: tracking and a manual poll of a v2 batch of 5,000 files, fanned out to 40 subscriptions, each stay inside 50 subrequests and 50 D1 queries", async () => {
    const meter = meterD1(env.DB);
    const w = world("plan-route-v2", { WORKERS_PLAN: "free", DB: meter.db });
    const sim = upstream(w);
    const r = receiver("plan-route-v2");
    const id = "bat-route-5000";
    // 50 child pages to read: more than a route's invocation has room for beside its first attempts.
    await sim.createBatch({
      id,
      total_files: 5_000,
      files_per_step: 5_000,
      child_steps: 1,
      start_at: "mapped",
    });
    const events = ["job.tracked", "job.progressed", "job.status_changed"] as const;
    for (let i = 0; i < 40; i++) await subscribe(w, { url: r.url(), events: [...events] });
    const made = async (route: () => Promise<{ status: number }>) => {
      const upstreamBefore = (await sim.requests()).length;
      const receivedBefore = (await r.requests()).length;
      meter.reset();
      expect([200, 201]).toContain((await route()).status);
      const subrequests =
        (await sim.requests()).length - upstreamBefore + (await r.requests()).length - receivedBefore;
      return { subrequests, queries: meter.queries() };
    };
    const tracking = await made(() =>
      admin(w, "/api/jobs", { method: "POST", json: { job_id: id, api: "v2" } }),
    );
    await sim.advanceBatch(id);
    const polling = await made(() => pollNow(w, id));
    console.log(
      `free, v2 batch of 5,000 files: tracking ${tracking.subrequests} subrequests and ${tracking.queries} ` +
        `D1 queries, manual poll ${polling.subrequests} and ${polling.queries}`,
    );
    for (const route of [tracking, polling]) {
      expect(route.subrequests).toBeLessThanOrEqual(FREE_SUBREQUESTS);
      expect(route.queries).toBeLessThanOrEqual(FREE_QUERIES);
    }
    // Both raised events whose first attempts went out; the rest wait for the tick.
    expect((await r.requests()).length).toBeGreaterThan(40);
    expect(await countRows("deliveries", "status = 'pending'")).toBeGreaterThan(0);
  });
});
