// job.finished through the real app, tick and simulator: raised once per job when its tracking
// becomes finished (v1 at a terminal status, v2 once the batch and every child have settled), also
// when the job was already done when tracked, carrying up to 20 failed files; written with the state
// change under the poll's lease, so a poll that lost its lease writes neither.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { runTick } from "../../src/monitor/tick";
import { type World, world } from "../helpers/app";
import { countRows, resetDatabase } from "../helpers/d1";
import { job, pollNow, track, trackNewBatch, trackNewJob } from "../helpers/jobs";
import { TICK_GAP, tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { withUpstream } from "../helpers/upstream";
import { receiver, type SubscribeBody, subscribe, verifiedRequests } from "./helpers";

async function finishedEvents(w: World, events: SubscribeBody["events"] = ["job.finished"]) {
  const r = receiver("finished");
  const sub = await subscribe(w, { url: r.url(), events });
  return async () => (await verifiedRequests(r, sub.secret)).map((v) => v.body);
}

describe("job.finished", () => {
  beforeEach(resetDatabase);

  it("v1: once, when the job reaches its end, with up to 20 of its failed items", async () => {
    const { w, sim, t0 } = withUpstream(world("finished-v1"));
    const received = await finishedEvents(w);
    const id = "bjb-finishes";
    await trackNewJob(w, { id, total_items: 90, items_per_step: 30, failed_every: 3, start_at: "running" });
    await sim.advance(id);
    await tick(w, t0 + TICK_GAP);
    expect(await received()).toEqual([]);

    await sim.advance(id, { to: "end" });
    await tick(w, t0 + 2 * TICK_GAP);
    await tick(w, t0 + 3 * TICK_GAP);
    expect((await pollNow(w, id)).status).toBe(200); // a finished job polled by hand: no second event
    const [finished, ...more] = await received();
    expect(more).toEqual([]);
    expect(finished?.data.job).toMatchObject({
      id,
      status: "completed",
      failed_items: 30,
      tracking: { state: "finished" },
    });
    expect(finished?.data.previous).toMatchObject({ state: "active" });
    const listed = finished?.data.failed_items ?? [];
    expect(listed).toHaveLength(20);
    expect(listed[0]).toEqual({ name: "report-0003.pdf", error_message: expect.any(String) });
    expect(await countRows("events", "type = 'job.finished'")).toBe(1);
  });

  it("v2: once, only after the COMPLETED batch's children have all settled, naming its failed files", async () => {
    const { w, sim, t0 } = withUpstream(world("finished-v2"));
    const received = await finishedEvents(w);
    const id = "bat-finishes";
    await trackNewBatch(w, {
      id,
      total_files: 6,
      files_per_step: 6,
      child_steps: 2,
      failed_children: 2,
      unmappable_files: 1,
      completes_before_children: true,
    });
    await sim.advanceBatch(id, { to: "mapped" });
    await tick(w, t0 + TICK_GAP);
    expect(await job(w, id)).toMatchObject({ status: "completed", tracking: { state: "active" } });
    expect(await received()).toEqual([]);

    await sim.advanceBatch(id, { to: "end" });
    await tick(w, t0 + 2 * TICK_GAP);
    await tick(w, t0 + 3 * TICK_GAP);
    const [finished, ...more] = await received();
    expect(more).toEqual([]);
    expect(finished?.data.job).toMatchObject({ api: "v2", failed_items: 3, tracking: { state: "finished" } });
    const unmappable = (await sim.batch(id)).answer.results?.find((entry) => entry.job_reference === null);
    expect(finished?.data.failed_items).toEqual(
      expect.arrayContaining([
        { name: expect.stringMatching(/\.pdf$/), error_message: expect.any(String) },
        { name: unmappable?.source_directory_file_id, error_message: unmappable?.error_message },
      ]),
    );
    expect(finished?.data.failed_items).toHaveLength(3);
  });

  it("is raised beside job.tracked for a job already done when tracked, v1 and v2", async () => {
    const { w, sim } = withUpstream(world("finished-tracked"));
    const received = await finishedEvents(w, ["job.tracked", "job.finished"]);
    await sim.createJob({ id: "bjb-done", total_items: 4, failed_every: 2, start_at: "end" });
    await sim.createBatch({ id: "bat-done", total_files: 3, failed_children: 1, start_at: "end" });
    expect((await track(w, "bjb-done")).tracking.state).toBe("finished");
    expect((await track(w, "bat-done")).tracking.state).toBe("finished");
    const bodies = await received();
    expect(bodies.map((b) => `${b.data.job.id} ${b.type}`).sort()).toEqual([
      "bat-done job.finished",
      "bat-done job.tracked",
      "bjb-done job.finished",
      "bjb-done job.tracked",
    ]);
    const failed = (jobId: string) =>
      bodies.find((b) => b.type === "job.finished" && b.data.job.id === jobId)?.data.failed_items;
    expect(failed("bjb-done")).toHaveLength(2);
    expect(failed("bat-done")).toHaveLength(1);
  });

  it("is written with the state change: a poll that lost its lease writes neither", async () => {
    const { w, sim } = withUpstream(world("finished-lease"));
    const id = "bjb-finished-lease";
    await trackNewJob(w, { id, total_items: 10, items_per_step: 5, start_at: "running" });
    await sim.advance(id, { to: "end" });
    const t0 = Date.now();
    // Tick A claims the job; its lease is taken over while it polls.
    await sim.fault({ kind: "latency", job_id: id, delay_ms: 1_500, times: 1 });
    const tickA = runTick(w.env, t0 + 2 * MINUTE);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await env.DB.prepare("update jobs set lease_token = 'tick-b', lease_until = ? where job_id = ?")
      .bind(t0 + 10 * MINUTE, id)
      .run();
    await tickA;
    expect((await job(w, id)).tracking.state).toBe("active");
    expect(await countRows("events", "type = 'job.finished'")).toBe(0);
  });
});
