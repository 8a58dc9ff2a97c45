// Polling through POLL_QUEUE against a real local D1 and the simulator: the tick only claims and
// sends, the Worker's real queue() handler (driven with createMessageBatch / getQueueResult) polls
// with the lease the tick took, and the stored results are those of polling in the tick.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { type World, world } from "../helpers/app";
import { countRows, resetDatabase } from "../helpers/d1";
import { history, job, track, trackRunning } from "../helpers/jobs";
import { tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream, withUpstream } from "../helpers/upstream";
import { receiver, subscribe, verifiedRequests } from "../notifications/helpers";
import { deliver, queueWorld, take } from "./helpers";

const iso = (ms: number) => new Date(ms).toISOString();

describe("polling through the queue", () => {
  beforeEach(resetDatabase);

  it("has the tick only claim and send; the consumer polls with the tick's lease", async () => {
    const { w, sim, t0 } = withUpstream(queueWorld("handoff"));
    const ids = ["bjb-q-1", "bjb-q-2", "bjb-q-3"];
    for (const id of ids) await trackRunning(w, id);
    for (const id of ids) await sim.advance(id);
    const asked = (await sim.statusRequests()).length;

    await tick(w, t0 + 2 * MINUTE);
    // Nothing asked upstream by the tick: one message with every due job and the tick's lease token.
    expect(await sim.statusRequests()).toHaveLength(asked);
    const messages = take(w);
    expect(w.sends()).toBe(1);
    expect(messages).toHaveLength(1);
    expect([...(messages[0]?.jobIds ?? [])].sort()).toEqual(ids);
    expect(messages[0]?.at).toBe(t0 + 2 * MINUTE);
    expect(await countRows("jobs", "lease_token = ?", messages[0]?.token)).toBe(3);

    const { result, error } = await deliver(w, messages);
    expect(error).toBeNull();
    expect(result.ackAll).toBe(true);
    expect(await sim.statusRequests()).toHaveLength(asked + 3);
    for (const id of ids) {
      const now = await job(w, id);
      expect(now.processed_items).toBe(10);
      expect(now.tracking.last_polled_at).toBe(iso(t0 + 2 * MINUTE));
      expect(await history(w, id)).toHaveLength(2);
    }
    expect(await countRows("jobs", "lease_token is not null")).toBe(0);

    // Delivered again (a queue delivers at least once): the lease is gone, so nothing is polled.
    const again = await deliver(w, messages, 2);
    expect(again.error).toBeNull();
    expect(await sim.statusRequests()).toHaveLength(asked + 3);
  });

  it("gives the jobs of a failed send back at once, for the next tick to send", async () => {
    const refuse = { sends: true };
    const { w, t0 } = withUpstream(queueWorld("send-fails", {}, refuse));
    await trackRunning(w, "bjb-q-send");
    await tick(w, t0 + 2 * MINUTE);
    expect(w.sends()).toBe(1);
    expect(take(w)).toEqual([]);
    expect(await countRows("jobs", "lease_token is not null")).toBe(0);
    // Not left leased for 2 minutes: the very next tick sends it.
    refuse.sends = false;
    await tick(w, t0 + 3 * MINUTE);
    expect(take(w).flatMap((m) => m.jobIds)).toEqual(["bjb-q-send"]);
  });

  it("changes nothing without the binding: the tick polls by itself", async () => {
    const { w, sim, t0 } = withUpstream(world("inline"));
    await trackRunning(w, "bjb-q-inline");
    await sim.advance("bjb-q-inline");
    await tick(w, t0 + 2 * MINUTE);
    expect(await sim.statusRequests("bjb-q-inline")).toHaveLength(2);
    expect((await job(w, "bjb-q-inline")).processed_items).toBe(10);
  });

  it("stores the same history as polling in the tick, for the same upstream story", async () => {
    const inline = await story(world("story-inline"), async (w, at) => {
      await tick(w, at);
    });
    await resetDatabase();
    const queued = queueWorld("story-queue");
    const through = await story(queued, async (w, at) => {
      await tick(w, at);
      // Once every job has finished, a tick has nothing to send.
      const messages = take(queued);
      if (messages.length > 0) expect((await deliver(w, messages)).error).toBeNull();
    });
    expect(through).toEqual(inline);
    // The story did happen: progress, a finish, a failed poll, a batch, and notifications.
    expect(inline.jobs.map((j) => j.tracking.state)).toEqual(["finished", "finished", "finished"]);
    expect(inline.histories.flat().length).toBeGreaterThan(10);
    expect(inline.notifications).toContain("bat-story-c job.finished");
    expect(inline.failedPoll).not.toBeNull();
  });

  it("a consumer that throws mid-batch loses nothing and polls nothing twice", async () => {
    const { w, sim, t0 } = withUpstream(queueWorld("throws"));
    const ids = ["bjb-q-throw-1", "bjb-q-throw-2", "bjb-q-throw-3"];
    for (const id of ids) await trackRunning(w, id);
    for (const id of ids) await sim.advance(id);
    await tick(w, t0 + 2 * MINUTE);
    const messages = take(w);

    // D1 refuses one job's outcome after every poll was made: the consumer's write batch fails whole.
    await env.DB.prepare(
      "create trigger refuse_outcome before update of last_polled_at on jobs when new.job_id = 'bjb-q-throw-2' begin select raise(abort, 'outcome refused'); end",
    ).run();
    const failed = await deliver(w, messages);
    expect(String(failed.error)).toContain("outcome refused");
    expect(failed.result.ackAll).toBe(false);
    for (const id of ids) expect(await sim.statusRequests(id)).toHaveLength(2);
    await env.DB.prepare("drop trigger refuse_outcome").run();

    // The runtime retries the batch: the consumer's lease holds the jobs, so the retry polls nothing,
    // and neither does a tick while that lease lasts.
    const retried = await deliver(w, messages, 2);
    expect(retried.error).toBeNull();
    await tick(w, t0 + 3 * MINUTE);
    expect(take(w)).toEqual([]);
    for (const id of ids) expect(await sim.statusRequests(id)).toHaveLength(2);

    // Once the lease ends the jobs are due again: handed off and polled once each, nothing lost.
    await tick(w, t0 + 5 * MINUTE);
    const again = take(w);
    expect(again.flatMap((m) => m.jobIds).sort()).toEqual(ids);
    expect((await deliver(w, again)).error).toBeNull();
    for (const id of ids) {
      expect(await sim.statusRequests(id)).toHaveLength(3);
      const now = await job(w, id);
      expect(now.processed_items).toBe(10);
      expect(now.tracking.last_polled_at).toBe(iso(t0 + 5 * MINUTE));
    }
  });

  it("polls nothing for a message whose lease ended; the next tick hands the jobs off again", async () => {
    const { w, sim, t0 } = withUpstream(queueWorld("late"));
    await trackRunning(w, "bjb-q-late");
    await tick(w, t0 + 2 * MINUTE);
    const late = take(w);
    // A later tick, past the first lease, claims the job under a new token.
    await tick(w, t0 + 5 * MINUTE);
    const fresh = take(w);
    expect(fresh.flatMap((m) => m.jobIds)).toEqual(["bjb-q-late"]);
    expect((await deliver(w, late)).error).toBeNull();
    expect(await sim.statusRequests("bjb-q-late")).toHaveLength(1);
    expect((await deliver(w, fresh)).error).toBeNull();
    expect(await sim.statusRequests("bjb-q-late")).toHaveLength(2);
  });

  it("shares a 429 pause through D1: a later message gives its jobs back due when the pause ends", async () => {
    const { w, sim, t0 } = withUpstream(queueWorld("paused"));
    const ids = ["bjb-q-rl-1", "bjb-q-rl-2"];
    for (const id of ids) await trackRunning(w, id);
    await tick(w, t0 + 2 * MINUTE);
    const [first] = take(w);
    if (!first) throw new Error("no message sent");
    // Two consumers: one got a 429 for its job, the other's message arrives after.
    await sim.fault({ kind: "rate_limit", retry_after: 600, times: 1 });
    const [a, b] = first.jobIds as [string, string];
    expect((await deliver(w, [{ ...first, jobIds: [a] }])).error).toBeNull();
    expect((await job(w, a)).tracking.last_error?.code).toBe("rate_limited");
    const asked = (await sim.statusRequests()).length;
    expect((await deliver(w, [{ ...first, jobIds: [b] }])).error).toBeNull();
    expect(await sim.statusRequests()).toHaveLength(asked);
    const held = await job(w, b);
    const pause = await env.DB.prepare(
      "select value from monitor_state where key = 'rate_limited_until'",
    ).first<{
      value: string;
    }>();
    expect(Number(pause?.value)).toBeGreaterThan(t0 + 2 * MINUTE);
    expect(Date.parse(held.tracking.next_poll_at ?? "")).toBe(Number(pause?.value));
    expect(held.tracking.last_polled_at).not.toBe(iso(t0 + 2 * MINUTE));
    expect(await countRows("jobs", "lease_token is not null")).toBe(0);
  });
});

/**
 * One upstream story, told to batchwatch through `run` (a tick, or a tick and its consumer): two v1
 * jobs (one with failed items and a failing poll) and a v2 batch, with a subscriber, ticks 11
 * minutes apart so every active job is due at each. Answers what batchwatch stored, with every time
 * before the first tick (tracking, the simulator's own clock) blanked: only those differ between runs.
 */
async function story(w: World, run: (w: World, at: number) => Promise<void>) {
  const sim = upstream(w);
  const t0 = Math.ceil(Date.now() / MINUTE) * MINUTE + 60 * MINUTE;
  const hook = receiver("queue-story");
  const subscription = await subscribe(w, { url: hook.url() });
  const v1 = ["bjb-story-a", "bjb-story-b"];
  await sim.createJob({ id: "bjb-story-a", total_items: 50, items_per_step: 10, start_at: "running" });
  await sim.createJob({
    id: "bjb-story-b",
    total_items: 40,
    items_per_step: 10,
    failed_every: 7,
    start_at: "running",
  });
  await sim.createBatch({
    id: "bat-story-c",
    total_files: 6,
    files_per_step: 3,
    child_steps: 2,
    failed_children: 1,
  });
  for (const id of [...v1, "bat-story-c"]) await track(w, id);
  let failedPoll: string | null = null;
  for (let step = 1; step <= 10; step++) {
    for (const id of v1) await sim.advance(id);
    await sim.advanceBatch("bat-story-c", { steps: 1 });
    if (step === 3) await sim.fault({ kind: "server_error", job_id: "bjb-story-b", times: 1 });
    await run(w, t0 + step * 11 * MINUTE);
    if (step === 3) failedPoll = (await job(w, "bjb-story-b")).tracking.last_error?.code ?? null;
  }
  const ids = [...v1, "bat-story-c"];
  const blank = (value: unknown): unknown => {
    if (typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value) && Date.parse(value) < t0)
      return "early";
    if (Array.isArray(value)) return value.map(blank);
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value)
          // Snapshot ids come from a sequence that a reset does not restart.
          .filter(([key, v]) => !(key === "id" && typeof v === "number"))
          .map(([key, v]) => [key, blank(v)]),
      );
    }
    return value;
  };
  return {
    failedPoll,
    jobs: (await Promise.all(ids.map((id) => job(w, id)))).map((j) => blank(j) as typeof j),
    histories: await Promise.all(ids.map(async (id) => blank(await history(w, id)) as unknown[])),
    // Deliveries go out several at a time, so their arrival order is no part of the story.
    notifications: (await verifiedRequests(hook, subscription.secret))
      .map((v) => `${v.body.data.job.id} ${v.body.type}`)
      .sort(),
  };
}
