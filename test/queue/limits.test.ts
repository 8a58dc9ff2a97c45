// Polling through POLL_QUEUE within limits, against a real local D1 and a real local queue: what
// handing off a Paid plan's worth of due jobs costs the tick, and a consumer held to one invocation's
// budget (MAX_POLLS_PER_TICK, the Free plan's 50 subrequests and 50 D1 queries).
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { consumePolls } from "../../src/monitor/consume";
import { runTick } from "../../src/monitor/tick";
import { countRows, insertJobs, resetDatabase } from "../helpers/d1";
import { meterD1 } from "../helpers/d1-meter";
import { job, trackRunning } from "../helpers/jobs";
import { tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream } from "../helpers/upstream";
import { deliver, queueWorld, take } from "./helpers";

describe("queue limits", () => {
  beforeEach(resetDatabase);

  it("hands 5,000 due jobs off in one claim and one sendBatch of 50 messages", async () => {
    const w = queueWorld("handoff-5000");
    const now = Date.now();
    const ids = Array.from({ length: 5_001 }, (_, i) => `bjb-q-5k-${String(i).padStart(5, "0")}`);
    // Due a millisecond apart, oldest first, so the one left over is the newest.
    const rows = ids.map((jobId, i) => ({ jobId, nextPollAt: now - 10_000 + i }));
    for (let i = 0; i < rows.length; i += 500) await insertJobs(rows.slice(i, i + 500));

    const result = await runTick(w.env, now);
    expect(result).toMatchObject({ due: 5_000, polled: 0 });
    expect(w.sends()).toBe(1);
    const messages = take(w);
    expect(messages).toHaveLength(50);
    expect(messages.every((m) => m.jobIds.length === 100)).toBe(true);
    // Oldest due first: every job but the newest went, each exactly once.
    expect(messages.flatMap((m) => m.jobIds)).toEqual(ids.slice(0, 5_000));
    expect(await countRows("jobs", "lease_token is not null")).toBe(5_000);
    // The claim, the tick's writes and the prune: the hand-off itself adds no round trip per job.
    expect(result.roundTrips).toBeLessThanOrEqual(4);
  });

  it("spends one invocation's budget: what does not fit is given back due and sent again", async () => {
    const w = queueWorld("budget", { MAX_POLLS_PER_TICK: "2" });
    const sim = upstream(w);
    const t0 = Date.now();
    const ids = ["bjb-q-b-1", "bjb-q-b-2", "bjb-q-b-3"];
    for (const id of ids) await trackRunning(w, id);
    await tick(w, t0 + 2 * MINUTE);
    const messages = take(w);
    // A message never holds more than one invocation's requests; both arrive in one batch here.
    expect(messages.map((m) => m.jobIds.length)).toEqual([2, 1]);
    const asked = (await sim.statusRequests()).length;
    expect((await deliver(w, messages)).error).toBeNull();
    expect(await sim.statusRequests()).toHaveLength(asked + 2);
    expect(await countRows("jobs", "lease_token is not null")).toBe(0);
    const left = ids.filter((id) => !messages[0]?.jobIds.includes(id));
    expect(left).toHaveLength(1);
    // The one left over is due again at once: the next tick sends it alone.
    await tick(w, t0 + 3 * MINUTE);
    expect(take(w).flatMap((m) => m.jobIds)).toEqual(left);
  });

  it("keeps a Free-plan consumer inside 50 subrequests and 50 D1 queries", async () => {
    const counting = meterD1(env.DB);
    const w = queueWorld("free", { WORKERS_PLAN: "free" });
    const sim = upstream(w);
    const t0 = Date.now();
    const ids = Array.from({ length: 30 }, (_, i) => `bjb-q-free-${i}`);
    for (const [i, id] of ids.entries()) {
      await trackRunning(w, id);
      if (i % 2 === 0) await sim.advance(id);
    }
    await tick(w, t0 + 2 * MINUTE);
    const messages = take(w);
    expect(messages.map((m) => m.jobIds.length)).toEqual([10, 10, 10]);
    for (const message of messages) {
      const asked = (await sim.requests()).length;
      const statements = counting.queries();
      const consumed = await consumePolls({ ...w.env, DB: counting.db }, [message]);
      // Counted at the network boundary and at the D1 binding (every statement, as Free counts them),
      // not only by the budget itself.
      expect((await sim.requests()).length - asked).toBeLessThanOrEqual(50);
      expect(counting.queries() - statements).toBeLessThanOrEqual(50);
      expect(consumed.subrequests).toBeLessThanOrEqual(50);
      expect(consumed.queries).toBeLessThanOrEqual(50);
      expect(consumed.polled).toBe(message.jobIds.length);
    }
    for (const id of ids.filter((_, i) => i % 2 === 0)) expect((await job(w, id)).processed_items).toBe(10);
  });
});
