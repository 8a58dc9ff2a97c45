// v2 batches through the real scheduled handler against a real local D1, with LlamaCloud's batches
// and child job lists answered by the simulator (through the outbound service): counts derived from
// the children, snapshots only on change, finished only once every child settled, settled children
// never asked for again, pages of at most 100 ids, a 429 on a child page pausing everything, and the
// 24 h rule for a failed batch whose children never settle.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { SimBatchView } from "../../sim/control";
import type { CreateBatchInput } from "../../sim/control-routes";
import { readConfig } from "../../src/config";
import { database } from "../../src/db/client";
import { pollOne, routeBudget } from "../../src/monitor/poll";
import { runTick } from "../../src/monitor/tick";
import { UNSETTLED_GRACE_MS } from "../../src/monitor/v2";
import { type World, world } from "../helpers/app";
import { countRows, resetDatabase, storedItems } from "../helpers/d1";
import { meterD1 } from "../helpers/d1-meter";
import { history, job, track, trackNewBatch, trackNewJob } from "../helpers/jobs";
import { meteredTick, storeDueJobs, TICK_GAP, tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { lastSeq, requestsDuring, upstream, withUpstream } from "../helpers/upstream";

/** What batchwatch should show for a batch, from the simulator's own view of it. */
function expectedCounts(view: SimBatchView) {
  const results = view.answer.results;
  if (!results) return { total_items: null, processed_items: null, failed_items: null, skipped_items: null };
  const children = view.sim.children;
  const unmappable = results.filter((entry) => entry.job_reference === null).length;
  return {
    total_items: results.length,
    processed_items: children.COMPLETED ?? 0,
    failed_items: (children.FAILED ?? 0) + unmappable,
    skipped_items: children.CANCELLED ?? 0,
  };
}

/** Child page requests the monitor made for a batch since `since` (a request-log seq). */
async function childRequests(w: World, batchId: string, since = 0) {
  return (await upstream(w).requests({ job_id: batchId, endpoint: "children", since_seq: since })).map(
    (r) => r.job_ids ?? [],
  );
}

/** The children of a batch whose files have settled: never asked for again. */
async function settledChildren(jobId: string): Promise<Set<string>> {
  const children = (await storedItems(jobId)).flatMap((item) =>
    item.settled === 1 && item.child_job_id !== null ? [item.child_job_id] : [],
  );
  return new Set(children);
}

/** Tracks a batch one of whose children never settles; each other child ends a step after it starts. */
function trackWithStuckChild(w: World, input: CreateBatchInput & { id: string }) {
  return trackNewBatch(w, { ...input, stuck_children: 1, child_steps: 1 });
}

beforeEach(resetDatabase);

describe("v2 batches", () => {
  it("follows a batch over several ticks until every child has settled", async () => {
    const { w, sim } = withUpstream(world("v2-life"));
    const id = "bat-life";
    const tracked = await trackNewBatch(w, {
      id,
      total_files: 8,
      files_per_step: 4,
      child_steps: 2,
      failed_children: 2,
      cancelled_children: 1,
      unmappable_files: 1,
      completes_before_children: true,
    });
    expect(tracked).toMatchObject({
      api: "v2",
      status: "pending",
      job_type: "parse_v2",
      total_items: null,
      progress_percentage: null,
      watch_id: null,
      tracking: { state: "active" },
    });

    let at = Date.now();
    let sawCompletedWhileRunning = false;
    let askedWithSomeSettled = 0;
    for (let step = 0; step < 20; step++) {
      const settledBefore = await settledChildren(id);
      const seq = await lastSeq(w);
      const view = (await sim.advanceBatch(id, { steps: 1 })).batch;
      at += TICK_GAP;
      await tick(w, at);
      const now = await job(w, id);
      // Counts are batchwatch's own, derived from the children exactly as the simulator knows them.
      expect(now).toMatchObject({ status: view.answer.status.toLowerCase(), ...expectedCounts(view) });
      // A settled child is never asked for again.
      const asked = (await childRequests(w, id, seq)).flat();
      expect(asked.filter((child) => settledBefore.has(child))).toEqual([]);
      if (settledBefore.size > 0 && asked.length > 0) askedWithSomeSettled++;
      const running = Object.entries(view.sim.children).some(
        ([status, n]) => n > 0 && !["COMPLETED", "FAILED", "CANCELLED"].includes(status),
      );
      if (view.answer.status === "COMPLETED" && running) {
        sawCompletedWhileRunning = true;
        expect(now.tracking.state).toBe("active");
      }
      if (view.sim.finished) {
        expect(now.tracking).toMatchObject({ state: "finished", next_poll_at: null });
        break;
      }
      expect(now.tracking.state).toBe("active");
    }
    expect(sawCompletedWhileRunning).toBe(true);
    expect(askedWithSomeSettled).toBeGreaterThan(0);
    const final = await job(w, id);
    expect(final).toMatchObject({
      status: "completed",
      total_items: 8,
      processed_items: 4,
      failed_items: 3,
      skipped_items: 1,
      progress_percentage: 100,
      tracking: { state: "finished" },
    });

    // Finished: no more requests, and nothing new is written.
    const snapshots = (await history(w, id)).length;
    expect(await requestsDuring(w, () => tick(w, at + TICK_GAP))).toEqual([]);
    expect(await history(w, id)).toHaveLength(snapshots);
  });

  it("writes a snapshot only when something changed, and lets a quiet batch's interval grow", async () => {
    const { w, sim, t0 } = withUpstream(world("v2-quiet"));
    const id = "bat-quiet";
    await trackNewBatch(w, { id, total_files: 3, files_per_step: 3, start_at: "mapped" });
    expect(await history(w, id)).toHaveLength(1);
    await tick(w, t0 + 2 * MINUTE); // nothing moved upstream
    await tick(w, t0 + 4 * MINUTE);
    expect(await history(w, id)).toHaveLength(1);
    const quiet = await job(w, id);
    expect(Date.parse(quiet.tracking.next_poll_at ?? "")).toBeGreaterThan(t0 + 4 * MINUTE + 60_000);
    // The children start running: their items change, no count or status does.
    await sim.advanceBatch(id, { steps: 1 });
    await tick(w, t0 + 20 * MINUTE);
    expect(await history(w, id)).toHaveLength(1);
    expect(await countRows("items", "job_id = ? and status = 'running'", id)).toBe(3);
    await sim.advanceBatch(id, { to: "end" });
    await tick(w, t0 + 40 * MINUTE);
    const moved = await history(w, id);
    expect(moved).toHaveLength(2);
    expect(moved[0]).toMatchObject({ source: "poll", status: "completed", processed_items: 3 });
  });

  it("reads 250 children in pages of at most 100 ids, then only those not settled", async () => {
    const { w, sim } = withUpstream(world("v2-pages"));
    const id = "bat-pages";
    await sim.createBatch({ id, total_files: 250, files_per_step: 250, child_steps: 1, start_at: "mapped" });
    const allChildren = new Set(
      (await sim.batch(id)).answer.results?.map((entry) => entry.job_reference?.id ?? "") ?? [],
    );
    expect(allChildren.size).toBe(250);

    const t0 = Date.now();
    const seq = await lastSeq(w);
    await track(w, id);
    const first = await sim.requests({ since_seq: seq });
    const firstPages = await childRequests(w, id, seq);
    expect(firstPages.map((ids) => ids.length)).toEqual([100, 100, 50]);
    expect(new Set(firstPages.flat())).toEqual(allChildren);
    console.log(`first poll of a v2 batch with 250 children: ${first.length} subrequests`);
    expect(first).toHaveLength(4);
    expect(await countRows("items", "job_id = ?", id)).toBe(250);

    // Nothing settled yet: the same four requests.
    const later = await requestsDuring(w, () => tick(w, t0 + 2 * MINUTE));
    console.log(`a later poll, no child settled: ${later.length} subrequests`);
    expect(later).toHaveLength(4);

    // Every child has ended: one more read of the 250, then none is asked for again.
    await sim.advanceBatch(id, { to: "end" });
    expect((await requestsDuring(w, () => tick(w, t0 + 4 * MINUTE))).length).toBe(4);
    expect(await job(w, id)).toMatchObject({ processed_items: 250, tracking: { state: "finished" } });
    expect(await settledChildren(id)).toEqual(allChildren);
  });

  it("asks only for the children not settled when some have ended", async () => {
    const { w, sim, t0 } = withUpstream(world("v2-partial"));
    const id = "bat-partial";
    // 50 files mapped per step, each job ending one step after it starts: the early ones end first.
    await trackNewBatch(w, { id, total_files: 250, files_per_step: 50, child_steps: 1 });
    let at = t0;
    const costs: number[] = [];
    for (let step = 0; step < 12; step++) {
      await sim.advanceBatch(id, { steps: 1 });
      const settled = await settledChildren(id);
      const seq = await lastSeq(w);
      at += TICK_GAP;
      await tick(w, at);
      const asked = (await childRequests(w, id, seq)).flat();
      expect(asked.filter((child) => settled.has(child))).toEqual([]);
      costs.push((await sim.requests({ since_seq: seq })).length);
      if ((await job(w, id)).tracking.state === "finished") break;
    }
    console.log(`subrequests per poll while 250 children are mapped and end: ${costs.join(", ")}`);
    expect(Math.max(...costs)).toBeLessThanOrEqual(4);
    expect(await job(w, id)).toMatchObject({ total_items: 250, tracking: { state: "finished" } });
  });

  it("a 429 on a child page pauses every poll, and the batch keeps what it had", async () => {
    const { w, sim, t0 } = withUpstream(world("v2-429"));
    const id = "bat-limited";
    await trackNewBatch(w, { id, total_files: 4, files_per_step: 4, child_steps: 1, start_at: "mapped" });
    await trackNewJob(w, { id: "bjb-beside", total_items: 10, items_per_step: 5, start_at: "running" });
    const before = await job(w, id);
    await sim.advanceBatch(id, { to: "end" });
    await sim.advance("bjb-beside");
    await sim.fault({ kind: "rate_limit", endpoint: "children", job_id: id, retry_after: 600, times: 1 });
    await tick(w, t0 + 2 * MINUTE);
    const limited = await job(w, id);
    expect(limited.tracking.last_error?.code).toBe("rate_limited");
    // Nothing partial: the batch answer that came before the 429 is not applied either.
    expect(limited).toMatchObject({ status: before.status, processed_items: before.processed_items });
    expect(await countRows("monitor_state", "key = 'rate_limited_until'")).toBe(1);

    // Within the pause no job is polled at all, the v1 job included.
    expect(await requestsDuring(w, () => tick(w, t0 + 5 * MINUTE))).toEqual([]);

    // After it, polling resumes and the batch catches up.
    await tick(w, t0 + 20 * MINUTE);
    expect(await job(w, id)).toMatchObject({ processed_items: 4, tracking: { state: "finished" } });
    expect((await job(w, "bjb-beside")).processed_items).toBe(5);
  });

  it("finishes a FAILED batch whose children never settle 24 hours after it was first seen failed", async () => {
    const { w, sim, t0 } = withUpstream(world("v2-24h"));
    const id = "bat-stuck";
    await trackWithStuckChild(w, { id, scenario: "fails", total_files: 4, stop_at: 4, files_per_step: 2 });
    await sim.advanceBatch(id, { to: "end" });
    await tick(w, t0 + 2 * MINUTE);
    expect((await sim.batch(id)).sim.children).toMatchObject({ RUNNING: 1 });
    const failed = await job(w, id);
    expect(failed).toMatchObject({ status: "failed", tracking: { state: "active" } });
    const seenAt = await env.DB.prepare("select terminal_seen_at as t from jobs where job_id = ?")
      .bind(id)
      .first<{ t: number }>();
    expect(seenAt?.t).toBe(t0 + 2 * MINUTE);

    await tick(w, t0 + 2 * MINUTE + UNSETTLED_GRACE_MS - MINUTE);
    expect((await job(w, id)).tracking.state).toBe("active");
    await tick(w, t0 + 2 * MINUTE + UNSETTLED_GRACE_MS + 11 * MINUTE);
    expect(await job(w, id)).toMatchObject({ status: "failed", tracking: { state: "finished" } });
  });

  it("never gives up on a COMPLETED batch whose child is still running", async () => {
    const { w, sim, t0 } = withUpstream(world("v2-completed-stuck"));
    const id = "bat-completed-stuck";
    await trackWithStuckChild(w, { id, total_files: 3, files_per_step: 3, completes_before_children: true });
    await sim.advanceBatch(id, { to: "end" });
    await tick(w, t0 + 2 * MINUTE);
    await tick(w, t0 + 2 * MINUTE + 2 * UNSETTLED_GRACE_MS);
    expect(await job(w, id)).toMatchObject({ status: "completed", tracking: { state: "active" } });
  });
});

describe("v2 cost", () => {
  it("a tick with 100 due v2 batches costs a handful of D1 round trips", async () => {
    const { w, sim, t0: now } = withUpstream(world("v2-cost"));
    const ids = Array.from({ length: 100 }, (_, i) => `bat-cost-${String(i).padStart(3, "0")}`);
    const batch = (id: string) =>
      sim.createBatch({ id, total_files: 5, files_per_step: 5, child_steps: 1, start_at: "mapped" });
    await storeDueJobs(ids, now, batch, { api: "v2" });
    const { result, d1 } = await meteredTick(w, now);
    expect(result.polled).toBe(100);
    expect(result.changed).toBe(100);
    expect(d1.trips()).toBe(result.roundTrips);
    console.log(`tick of 100 due v2 batches (5 files each, first poll): ${result.roundTrips} D1 round trips`);
    expect(result.roundTrips).toBeLessThanOrEqual(8);
    expect(await countRows("items")).toBe(500);

    // The next tick: every batch's items are read with the claim, and unchanged ones are not written.
    await sim.advanceBatch(ids[0] ?? "", { to: "end" });
    await env.DB.prepare("update jobs set next_poll_at = ?")
      .bind(now + MINUTE)
      .run();
    const { result: second } = await meteredTick(w, now + MINUTE);
    expect(second.polled).toBe(100);
    console.log(`the next tick of the same 100 batches: ${second.roundTrips} D1 round trips`);
    expect(second.roundTrips).toBeLessThanOrEqual(8);
  });

  it("a single v2 poll costs two D1 round trips, however many children it reads", async () => {
    const w = world("v2-one-cost");
    await trackNewBatch(w, { id: "bat-one", total_files: 150, files_per_step: 150, start_at: "mapped" });
    const counted = meterD1(env.DB);
    const config = readConfig(w.env);
    const polled = await pollOne(database(counted.db), config, "bat-one", {
      source: "manual",
      now: Date.now() + 1000,
      budget: routeBudget(config),
    });
    expect(polled.kind).toBe("polled");
    expect(counted.trips()).toBe(2);
  });
});

describe("the request budget", () => {
  it("a batch poll that runs out of budget applies what it read and cannot finish early", async () => {
    const { w, sim } = withUpstream(world("v2-budget", { MAX_POLLS_PER_TICK: "3" }));
    const id = "bat-budget";
    await sim.createBatch({ id, total_files: 250, files_per_step: 250, child_steps: 1, start_at: "mapped" });
    const t0 = Date.now();
    // The batch and two of its three child pages.
    expect(await requestsDuring(w, () => track(w, id))).toHaveLength(3);
    expect(await job(w, id)).toMatchObject({ total_items: 250, processed_items: 0 });

    await sim.advanceBatch(id, { to: "end" }); // every child has completed
    const seq = await lastSeq(w);
    const first = await runTick(w.env, t0 + 2 * MINUTE);
    expect(first.polled).toBe(1);
    expect(await sim.requests({ since_seq: seq })).toHaveLength(3);
    const partial = await job(w, id);
    // The page not read keeps its children's stored state: true counts, not finished.
    expect([150, 200]).toContain(partial.processed_items);
    expect(partial).toMatchObject({ status: "completed", total_items: 250, tracking: { state: "active" } });

    await tick(w, t0 + 4 * MINUTE);
    expect(await job(w, id)).toMatchObject({ processed_items: 250, tracking: { state: "finished" } });
  });

  it("the tick starts no poll once child pages have spent its budget; the rest wait for the next tick", async () => {
    const { w, sim } = withUpstream(world("budget-pool", { MAX_POLLS_PER_TICK: "7" }));
    const batch = "bat-budget-pool";
    await trackNewBatch(w, { id: batch, total_files: 250, files_per_step: 250, start_at: "mapped" });
    const ids = ["bjb-pool-1", "bjb-pool-2", "bjb-pool-3", "bjb-pool-4", "bjb-pool-5", "bjb-pool-6"];
    for (const id of ids) {
      await trackNewJob(w, { id, total_items: 10, items_per_step: 5, start_at: "running" });
      await sim.advance(id);
    }
    const t0 = Date.now() + 2 * MINUTE;
    // The batch is due first; five v1 polls are slow, so its child pages take the last units while
    // the sixth v1 job still waits for a free connection.
    await env.DB.prepare("update jobs set next_poll_at = ?")
      .bind(t0 - 1_000)
      .run();
    await env.DB.prepare("update jobs set next_poll_at = ? where job_id = ?")
      .bind(t0 - 2_000, batch)
      .run();
    for (const id of ids.slice(0, 5))
      await sim.fault({ kind: "latency", job_id: id, delay_ms: 300, times: 1 });
    const seq = await lastSeq(w);
    const first = await runTick(w.env, t0);
    expect(first).toMatchObject({ due: 7, polled: 6 });
    expect(await sim.requests({ since_seq: seq })).toHaveLength(7);
    expect((await job(w, "bjb-pool-6")).processed_items).toBe(0);
    const second = await runTick(w.env, t0 + 1_000);
    expect(second).toMatchObject({ due: 1, polled: 1 });
    expect((await job(w, "bjb-pool-6")).processed_items).toBe(5);
  });
});
