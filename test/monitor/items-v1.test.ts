// v1 failed items through the real tick: read from the items endpoint (?status=failed) when the
// status answer counts more failed items than are stored, at most two pages a poll, in the same slot
// as the status request; a failing items request never fails the status poll, except that a 429
// pauses every poll.
import { beforeEach, describe, expect, it } from "vitest";
import { type World, world } from "../helpers/app";
import { countRows, resetDatabase, storedItems } from "../helpers/d1";
import { job, trackNewJob } from "../helpers/jobs";
import { TICK_GAP, tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { lastSeq, requestsDuring, upstream, withUpstream } from "../helpers/upstream";

async function itemRequests(w: World, jobId: string, since = 0) {
  return (await upstream(w).requests({ job_id: jobId, endpoint: "items", since_seq: since })).map(
    (r) => r.query,
  );
}

/** Creates a running job upstream in which every second item fails, and tracks it. */
function trackFailingEveryOther(w: World, id: string, total_items: number, items_per_step: number) {
  return trackNewJob(w, { id, total_items, items_per_step, failed_every: 2, start_at: "running" });
}

describe("v1 failed items", () => {
  beforeEach(resetDatabase);

  it("reads them as failed_items grows, at most two pages of 100 a poll, from where it stopped", async () => {
    const { w, sim, t0 } = withUpstream(world("v1-items"));
    const id = "bjb-items";
    // 100 items a step make 50 more failed items.
    await trackFailingEveryOther(w, id, 1000, 100);
    expect(await itemRequests(w, id)).toEqual([]);

    await sim.advance(id, { steps: 3 }); // 150 failed
    let seq = await lastSeq(w);
    await tick(w, t0 + TICK_GAP);
    expect((await job(w, id)).failed_items).toBe(150);
    expect(await itemRequests(w, id, seq)).toEqual([
      expect.objectContaining({ status: "failed", limit: "100", offset: "0" }),
      expect.objectContaining({ status: "failed", limit: "100", offset: "100" }),
    ]);
    expect(await countRows("items", "job_id = ?", id)).toBe(150);

    await sim.advance(id, { steps: 5 }); // 400 failed: two pages now, the rest next poll
    seq = await lastSeq(w);
    await tick(w, t0 + 2 * TICK_GAP);
    expect((await itemRequests(w, id, seq)).map((q) => q.offset)).toEqual(["150", "250"]);
    expect(await countRows("items", "job_id = ?", id)).toBe(350);
    seq = await lastSeq(w);
    await tick(w, t0 + 3 * TICK_GAP);
    expect((await itemRequests(w, id, seq)).map((q) => q.offset)).toEqual(["350"]);
    expect(await countRows("items", "job_id = ?", id)).toBe(400);

    // Nothing more failed: no items request.
    seq = await lastSeq(w);
    await tick(w, t0 + 4 * TICK_GAP);
    expect(await itemRequests(w, id, seq)).toEqual([]);

    // The job finishes with failed items not yet read: they are read by the poll that finishes it.
    await sim.advance(id, { to: "end" });
    await tick(w, t0 + 5 * TICK_GAP);
    expect(await job(w, id)).toMatchObject({ failed_items: 500, tracking: { state: "finished" } });
    expect(await countRows("items", "job_id = ? and status = 'failed'", id)).toBe(500);

    const [first] = await storedItems(id);
    expect(first).toMatchObject({
      item_id: expect.stringMatching(/^dfl-.*-0002$/),
      name: "report-0002.pdf",
      status: "failed",
      error_message: expect.any(String),
      child_job_id: null,
      settled: 1,
    });
    expect(Date.parse(String(first?.updated_at))).not.toBeNaN();
  });

  it("keeps the status poll when the items request fails, and reads them at the next poll", async () => {
    const { w, sim, t0 } = withUpstream(world("v1-items-fault"));
    const id = "bjb-items-fault";
    await trackFailingEveryOther(w, id, 10, 4);
    await sim.advance(id);
    await sim.fault({ kind: "server_error", endpoint: "items", job_id: id, times: 1 });
    await tick(w, t0 + TICK_GAP);
    const polled = await job(w, id);
    expect(polled).toMatchObject({ processed_items: 2, failed_items: 2, tracking: { last_error: null } });
    expect(await countRows("items", "job_id = ?", id)).toBe(0);
    await tick(w, t0 + 2 * TICK_GAP);
    expect(await countRows("items", "job_id = ?", id)).toBe(2);
  });

  it("a 429 on the items request pauses every poll, the status answer still applied", async () => {
    const { w, sim, t0 } = withUpstream(world("v1-items-429"));
    const id = "bjb-items-429";
    await trackFailingEveryOther(w, id, 10, 4);
    await trackNewJob(w, { id: "bjb-other", total_items: 10, items_per_step: 5, start_at: "running" });
    await sim.advance(id);
    await sim.fault({ kind: "rate_limit", endpoint: "items", job_id: id, retry_after: 1800, times: 1 });
    await tick(w, t0 + TICK_GAP);
    expect((await job(w, id)).failed_items).toBe(2);
    expect(await countRows("monitor_state", "key = 'rate_limited_until'")).toBe(1);
    await sim.advance("bjb-other");
    expect(await requestsDuring(w, () => tick(w, t0 + TICK_GAP + 5 * MINUTE))).toEqual([]);
    await tick(w, t0 + 45 * MINUTE);
    expect(await countRows("items", "job_id = ?", id)).toBe(2);
    expect((await job(w, "bjb-other")).processed_items).toBe(5);
  });
});
