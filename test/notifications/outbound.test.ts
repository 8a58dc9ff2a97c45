// batchwatch → subscribers, through the real app and the real scheduled handler, a real local D1,
// LlamaCloud answered by the simulator and every notification caught by the simulator's receiver and
// verified there with the `standardwebhooks` library.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";
import { database } from "../../src/db/client";
import { pollOne, routeBudget } from "../../src/monitor/poll";
import { runTick } from "../../src/monitor/tick";
import { trackJob } from "../../src/monitor/track";
import { MAX_ATTEMPTS, RETRY_DELAYS_MS, roundUpToTick } from "../../src/notifications/schedule";
import { admin, client, expectJson, type World, world } from "../helpers/app";
import { countRows, resetDatabase } from "../helpers/d1";
import { pollNow, RUNNING_JOB, track, trackRunning } from "../helpers/jobs";
import { tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream } from "../helpers/upstream";
import {
  type Delivery,
  deliveriesOf,
  type Receiver,
  receivedTypes,
  receiver,
  type SubscribeBody,
  subscribe,
  verifiedRequests,
} from "./helpers";

/** A running job upstream, not tracked yet (for tests that act between the two). */
async function runningJob(w: World, id: string) {
  await upstream(w).createJob({ id, ...RUNNING_JOB });
}

async function onlyDelivery(w: World, subscriptionId: string): Promise<Delivery> {
  const list = await deliveriesOf(w, subscriptionId);
  expect(list).toHaveLength(1);
  return list[0] as Delivery;
}

async function subscribeReceiver(w: World, label: string, body: Omit<SubscribeBody, "url"> = {}) {
  const r = receiver(label);
  const sub = await subscribe(w, { url: r.url(), ...body });
  return { r, sub };
}

/** A world of its own, named `label`, with one receiver subscribed (to every event unless `body` says). */
async function subscribedWorld(label: string, body: Omit<SubscribeBody, "url"> = {}) {
  const w = world(label);
  const { r, sub } = await subscribeReceiver(w, label, body);
  return { w, sim: upstream(w), r, sub };
}

describe("outbound notifications", () => {
  beforeEach(resetDatabase);

  describe("each event fires exactly once for its cause", () => {
    it("job.tracked, job.progressed and job.status_changed over a job's life", async () => {
      const { w, sim, r, sub } = await subscribedWorld("life");
      const t0 = Date.now();
      await trackRunning(w, "bjb-life");
      // The first attempt ran right after the answer, without waiting for a tick.
      expect(await receivedTypes(r, sub.secret)).toEqual(["job.tracked"]);

      await tick(w, t0 + 2 * MINUTE); // nothing changed upstream
      expect(await receivedTypes(r, sub.secret)).toEqual(["job.tracked"]);

      await sim.advance("bjb-life");
      await tick(w, t0 + 4 * MINUTE);
      await tick(w, t0 + 6 * MINUTE); // no change: nothing new
      await sim.advance("bjb-life", { to: "end" });
      await tick(w, t0 + 8 * MINUTE);
      await tick(w, t0 + 20 * MINUTE); // finished: no more polls, nothing new

      const all = await verifiedRequests(r, sub.secret);
      // job.finished comes with the final status change (its own test is notifications/finished.test.ts).
      expect(all.filter((v) => v.body.type === "job.finished")).toHaveLength(1);
      const got = all.filter((v) => v.body.type !== "job.finished");
      expect(got.map((v) => v.body.type)).toEqual(["job.tracked", "job.progressed", "job.status_changed"]);
      const [tracked, progressed, changed] = got.map((v) => v.body);
      expect(tracked?.data.previous).toBeNull();
      expect(tracked?.data.job).toMatchObject({ id: "bjb-life", status: "running", processed_items: 0 });
      expect(progressed?.data.previous).toMatchObject({ status: "running", processed_items: 0 });
      expect(progressed?.data.job).toMatchObject({ status: "running", processed_items: 10 });
      expect(changed?.data.previous).toMatchObject({ status: "running", processed_items: 10 });
      expect(changed?.data.job).toMatchObject({ status: "completed", tracking: { state: "finished" } });
      expect(changed?.timestamp).toBe(new Date(t0 + 8 * MINUTE).toISOString());

      // Each delivery is listed once, delivered on its first attempt, under the id the receiver saw.
      const listed = (await deliveriesOf(w, sub.id)).filter((d) => d.event_type !== "job.finished");
      expect(listed.map((d) => d.event_type)).toEqual([
        "job.status_changed",
        "job.progressed",
        "job.tracked",
      ]);
      expect(
        listed.every((d) => d.status === "delivered" && d.attempts === 1 && d.last_status_code === 200),
      ).toBe(true);
      expect(new Set(listed.map((d) => d.id))).toEqual(new Set(got.map((v) => v.id)));
      expect(got.every((v) => /^msg_[0-9a-f]{32}$/.test(v.id))).toBe(true);
    });

    it("job.stalled once per stall episode", async () => {
      const { w, sim, r, sub } = await subscribedWorld("stall", { events: ["job.stalled"] });
      const t0 = Date.now();
      await trackRunning(w, "bjb-stall");
      await tick(w, t0 + 20 * MINUTE);
      expect(await receivedTypes(r, sub.secret)).toEqual([]);
      await tick(w, t0 + 31 * MINUTE); // 30 minutes without change: stalled
      await tick(w, t0 + 45 * MINUTE); // still stalled: no second event
      await tick(w, t0 + 60 * MINUTE);
      const first = await verifiedRequests(r, sub.secret);
      expect(first.map((v) => v.body.type)).toEqual(["job.stalled"]);
      // Stalled since its last change: the tracking poll, right after t0.
      const since = Date.parse(first[0]?.body.data.job.tracking.stalled_since ?? "");
      expect(since).toBeGreaterThanOrEqual(t0);
      expect(since).toBeLessThan(t0 + MINUTE);
      expect(first[0]?.body.data.previous).toMatchObject({ stalled_since: null });

      // It moves again (episode over), then stalls again: a second event.
      await sim.advance("bjb-stall");
      await tick(w, t0 + 70 * MINUTE);
      await tick(w, t0 + 101 * MINUTE);
      await tick(w, t0 + 115 * MINUTE);
      expect(await receivedTypes(r, sub.secret)).toEqual(["job.stalled", "job.stalled"]);
    });

    it("job.poll_failing at the fifth failure in a row, once per episode", async () => {
      const { w, sim, r, sub } = await subscribedWorld("failing", { events: ["job.poll_failing"] });
      let t = Date.now();
      await trackRunning(w, "bjb-failing");
      await sim.fault({ kind: "server_error", job_id: "bjb-failing", forever: true });
      const failuresAfter: number[] = [];
      for (let i = 0; i < 7; i++) {
        t += 31 * MINUTE; // past any backoff
        await tick(w, t);
        failuresAfter.push((await receivedTypes(r, sub.secret)).length);
      }
      expect(failuresAfter).toEqual([0, 0, 0, 0, 1, 1, 1]);
      const [event] = await verifiedRequests(r, sub.secret);
      expect(event?.body.data.job.tracking.consecutive_failures).toBe(5);
      expect(event?.body.data.previous).toMatchObject({ consecutive_failures: 4 });

      // Recovery ends the episode; five more failures raise it again.
      await sim.clearFaults();
      t += 31 * MINUTE;
      await tick(w, t);
      await sim.fault({ kind: "server_error", job_id: "bjb-failing", forever: true });
      for (let i = 0; i < 5; i++) {
        t += 31 * MINUTE;
        await tick(w, t);
      }
      expect(await receivedTypes(r, sub.secret)).toEqual(["job.poll_failing", "job.poll_failing"]);
    });

    it("sends a subscription only the event types and the job it asked for", async () => {
      const w = world("filters");
      const sim = upstream(w);
      const all = await subscribeReceiver(w, "all");
      const statusOnly = await subscribeReceiver(w, "status", { events: ["job.status_changed"] });
      const jobA = await subscribeReceiver(w, "job-a", { job_id: "bjb-filter-a" });
      const t0 = Date.now();
      await runningJob(w, "bjb-filter-a");
      await runningJob(w, "bjb-filter-b");
      await track(w, "bjb-filter-a");
      await track(w, "bjb-filter-b");
      await sim.advance("bjb-filter-a");
      await sim.advance("bjb-filter-b", { to: "end" });
      await tick(w, t0 + 2 * MINUTE);

      const jobsOf = async (s: { r: Receiver; sub: { secret: string } }) =>
        (await verifiedRequests(s.r, s.sub.secret)).map((v) => `${v.body.data.job.id} ${v.body.type}`).sort();
      expect(await jobsOf(all)).toEqual([
        "bjb-filter-a job.progressed",
        "bjb-filter-a job.tracked",
        "bjb-filter-b job.finished",
        "bjb-filter-b job.status_changed",
        "bjb-filter-b job.tracked",
      ]);
      expect(await jobsOf(statusOnly)).toEqual(["bjb-filter-b job.status_changed"]);
      expect(await jobsOf(jobA)).toEqual(["bjb-filter-a job.progressed", "bjb-filter-a job.tracked"]);
    });

    it("a manual poll that fails still sends the job.poll_failing it raised right away", async () => {
      const { w, r, sub } = await subscribedWorld("manual-failing", { events: ["job.poll_failing"] });
      await trackRunning(w, "bjb-manual-failing");
      await env.DB.prepare(
        "update jobs set consecutive_failures = 4 where job_id = 'bjb-manual-failing'",
      ).run();
      await upstream(w).fault({ kind: "server_error", job_id: "bjb-manual-failing", times: 1 });
      const res = await pollNow(w, "bjb-manual-failing");
      expect(res.status).toBe(502);
      // No tick ran: the route's own first attempt delivered it.
      expect(await receivedTypes(r, sub.secret)).toEqual(["job.poll_failing"]);
    });

    it("a manual poll and a callback-triggered poll notify too", async () => {
      const { w, sim, r, sub } = await subscribedWorld("manual", { events: ["job.progressed"] });
      await trackRunning(w, "bjb-manual");
      await sim.advance("bjb-manual");
      expect((await pollNow(w, "bjb-manual")).status).toBe(200);
      expect(await receivedTypes(r, sub.secret)).toEqual(["job.progressed"]);
      await sim.advance("bjb-manual");
      // A callback right after a poll only makes the job due; this one comes a minute later.
      await env.DB.prepare("update jobs set last_polled_at = last_polled_at - 60000").run();
      const res = await admin(w, "/webhooks/llamacloud", {
        method: "POST",
        json: { event_id: "evt-manual-1", event_type: "batch.progress", data: { job_id: "bjb-manual" } },
      });
      expect(res.status).toBe(202);
      expect(await receivedTypes(r, sub.secret)).toEqual(["job.progressed", "job.progressed"]);
    });
  });

  it("retries a failing receiver with the same webhook-id until it recovers", async () => {
    const { w, r, sub } = await subscribedWorld("recover");
    await r.script([{ status: 500, times: 2 }]);
    await trackRunning(w, "bjb-recover");

    const first = await onlyDelivery(w, sub.id);
    expect(first).toMatchObject({ status: "pending", attempts: 1, last_status_code: 500 });
    const firstAt = Date.parse((await r.requests())[0]?.received_at ?? "");
    const retryAt = Date.parse(first.next_attempt_at ?? "");
    // 5 s later, rounded up to the next tick.
    expect(retryAt % MINUTE).toBe(0);
    expect(retryAt).toBeGreaterThanOrEqual(firstAt + 5_000);
    expect(retryAt).toBeLessThanOrEqual(roundUpToTick(Date.now() + 5_000));

    await tick(w, retryAt - 1_000); // not yet due
    expect(await r.requests()).toHaveLength(1);
    await tick(w, retryAt);
    const second = await onlyDelivery(w, sub.id);
    expect(second).toMatchObject({ status: "pending", attempts: 2, last_status_code: 500 });
    expect(Date.parse(second.next_attempt_at ?? "")).toBe(roundUpToTick(retryAt + 5 * MINUTE));

    await tick(w, Date.parse(second.next_attempt_at ?? ""));
    const done = await onlyDelivery(w, sub.id);
    expect(done).toMatchObject({ status: "delivered", attempts: 3, last_status_code: 200, last_error: null });
    expect(done.next_attempt_at).toBeNull();
    expect(done.delivered_at).not.toBeNull();

    const got = await verifiedRequests(r, sub.secret);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((v) => v.id))).toEqual(new Set([done.id]));
    // One event, one body: only the signature's timestamp differs between attempts.
    expect(new Set(got.map((v) => v.request.body)).size).toBe(1);
  });

  it("gives up after the last attempt of the schedule, and a manual retry tries once more", async () => {
    const w = world("give-up");
    // Only the one event: the job will also stall during the three days of retries.
    const { r, sub } = await subscribeReceiver(w, "give-up", {
      events: ["job.tracked"],
      job_id: "bjb-give-up",
    });
    await r.script([], { status: 503 });
    await trackRunning(w, "bjb-give-up");

    const gaps: number[] = [];
    let delivery = await onlyDelivery(w, sub.id);
    let previous = Date.now();
    while (delivery.status === "pending") {
      const due = Date.parse(delivery.next_attempt_at ?? "");
      gaps.push(due - previous);
      previous = due;
      await tick(w, due);
      delivery = await onlyDelivery(w, sub.id);
    }
    expect(delivery).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, last_status_code: 503 });
    expect(delivery.next_attempt_at).toBeNull();
    expect(await r.requests()).toHaveLength(MAX_ATTEMPTS);
    // Each wait is the schedule's, rounded up to a tick (less than a minute more).
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[i] as number);
      expect(gap).toBeLessThan((RETRY_DELAYS_MS[i] as number) + MINUTE);
    });

    // Retrying a delivery that is not failed is a conflict; an unknown one is 404.
    const other = await subscribeReceiver(w, "other", { job_id: "bjb-give-up-2" });
    await trackRunning(w, "bjb-give-up-2");
    const delivered = await onlyDelivery(w, other.sub.id);
    expect(delivered.status).toBe("delivered");
    expect((await admin(w, `/api/deliveries/${delivered.id}/retry`, { method: "POST" })).status).toBe(409);
    expect((await admin(w, "/api/deliveries/msg_nope/retry", { method: "POST" })).status).toBe(404);
    expect((await admin(w, `/api/deliveries/${delivery.id}/retry`)).status).toBe(404); // GET: no such route

    await r.script([], { status: 204 });
    const retried = await client(w).api.deliveries[":id"].retry.$post({ param: { id: delivery.id } });
    expect((await expectJson(retried, 202)).delivery).toMatchObject({
      id: delivery.id,
      status: "pending",
    });
    expect(await onlyDelivery(w, sub.id)).toMatchObject({
      status: "delivered",
      attempts: MAX_ATTEMPTS + 1,
      last_status_code: 204,
    });
    const got = await verifiedRequests(r, sub.secret);
    expect(got).toHaveLength(MAX_ATTEMPTS + 1);
    expect(new Set(got.map((v) => v.id)).size).toBe(1);
  });

  it("disables a subscription whose receiver answers 410 Gone", async () => {
    const { w, sim, r, sub } = await subscribedWorld("gone");
    const t0 = Date.now();
    await runningJob(w, "bjb-gone-1");
    await runningJob(w, "bjb-gone-2");
    // Two deliveries are pending (their first attempts failed), the second retried an hour later,
    // when the receiver starts answering 410.
    await r.script([{ status: 500, times: 2 }, { status: 410 }]);
    await track(w, "bjb-gone-1");
    await track(w, "bjb-gone-2");
    expect(await r.requests()).toHaveLength(2);
    const later = (await deliveriesOf(w, sub.id))[0]?.id;
    await env.DB.prepare("update deliveries set next_attempt_at = ? where id = ?")
      .bind(t0 + 60 * MINUTE, later)
      .run();
    await tick(w, roundUpToTick(Date.now() + 5_000));
    // The first got the 410; the later one is failed too, without being sent to a gone receiver.
    expect(await r.requests()).toHaveLength(3);

    const list = await expectJson(client(w).api.subscriptions.$get({ query: {} }), 200);
    expect(list.subscriptions[0]).toMatchObject({
      id: sub.id,
      disabled_reason: expect.stringMatching(/410/),
    });
    expect(list.subscriptions[0]?.disabled_at).not.toBeNull();
    const deliveries = await deliveriesOf(w, sub.id);
    expect(deliveries.map((d) => d.status)).toEqual(["failed", "failed"]);
    expect(deliveries.some((d) => d.last_status_code === 410)).toBe(true);

    // Nothing more is sent or even queued for it, and its failed deliveries cannot be retried.
    await sim.advance("bjb-gone-1", { to: "end" });
    await tick(w, t0 + 10 * MINUTE);
    expect(await r.requests()).toHaveLength(3);
    expect(await deliveriesOf(w, sub.id)).toHaveLength(2);
    const retry = await admin(w, `/api/deliveries/${deliveries[0]?.id}/retry`, { method: "POST" });
    expect(retry.status).toBe(409);
  });

  it("checks the URL again before every attempt: an http:// subscription stops once ALLOW_HTTP_WEBHOOKS is off", async () => {
    const dev = world("recheck", { ALLOW_HTTP_WEBHOOKS: "true" });
    const r = receiver("recheck");
    const sub = await subscribe(dev, { url: r.url().replace("https://", "http://") });
    expect(sub.url).toMatch(/^http:\/\//);
    // The same deployment, its setting back to the default.
    const prod: World = { ...dev, env: { ...dev.env, ALLOW_HTTP_WEBHOOKS: "false" } };
    await trackRunning(prod, "bjb-recheck");
    const held = await onlyDelivery(prod, sub.id);
    expect(held).toMatchObject({ status: "pending", attempts: 1, last_status_code: null });
    expect(held.last_error).toMatch(/^Not sent: .*https:\/\//);
    expect(await r.requests()).toHaveLength(0);
    // Allowed again, the next attempt goes out.
    await tick(dev, Date.parse(held.next_attempt_at ?? ""));
    expect(await onlyDelivery(dev, sub.id)).toMatchObject({ status: "delivered", attempts: 2 });
    expect(await r.requests()).toHaveLength(1);
  });

  it("does not follow a redirect: it is a failed attempt", async () => {
    const { w, r, sub } = await subscribedWorld("redirect");
    const target = receiver("redirect-target");
    await r.script([{ status: 307, redirect_to: target.url() }], { status: 301, redirect_to: target.url() });
    await trackRunning(w, "bjb-redirect");
    const first = await onlyDelivery(w, sub.id);
    expect(first).toMatchObject({ status: "pending", attempts: 1, last_status_code: 307 });
    expect(first.last_error).toMatch(/redirect/);
    await tick(w, Date.parse(first.next_attempt_at ?? ""));
    expect(await onlyDelivery(w, sub.id)).toMatchObject({
      status: "pending",
      attempts: 2,
      last_status_code: 301,
    });
    expect(await target.requests()).toHaveLength(0);
    expect(await verifiedRequests(r, sub.secret)).toHaveLength(2);
  });

  it("counts a receiver that does not answer within 15 s as a failed attempt", {
    timeout: 60_000,
  }, async () => {
    const { w, r, sub } = await subscribedWorld("timeout");
    await r.script([{ delay_ms: 20_000 }]);
    await runningJob(w, "bjb-timeout");
    const started = Date.now();
    await track(w, "bjb-timeout");
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(15_000);
    expect(elapsed).toBeLessThan(20_000);
    const first = await onlyDelivery(w, sub.id);
    expect(first).toMatchObject({ status: "pending", attempts: 1, last_status_code: null });
    expect(first.last_error).toMatch(/15 s/);
    await tick(w, Date.parse(first.next_attempt_at ?? ""));
    expect(await onlyDelivery(w, sub.id)).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("two overlapping ticks send each attempt once", async () => {
    const w = world("overlap");
    const subs = [await subscribeReceiver(w, "overlap-1"), await subscribeReceiver(w, "overlap-2")];
    // First attempts fail, so every delivery is due again at the next tick; there the receivers
    // answer slowly, so the two ticks are in flight together.
    for (const { r } of subs) await r.script([{ status: 500, times: 4 }], { status: 200, delay_ms: 300 });
    const ids = ["bjb-overlap-1", "bjb-overlap-2", "bjb-overlap-3", "bjb-overlap-4"];
    for (const id of ids) await runningJob(w, id);
    for (const id of ids) await track(w, id);
    for (const { r } of subs) expect(await r.requests()).toHaveLength(4);

    const at = roundUpToTick(Date.now() + 5_000);
    await Promise.all([tick(w, at), tick(w, at)]);
    for (const { r, sub } of subs) {
      const got = await verifiedRequests(r, sub.secret);
      expect(got).toHaveLength(8);
      const perId = new Map<string, number>();
      for (const v of got) perId.set(v.id, (perId.get(v.id) ?? 0) + 1);
      expect([...perId.values()]).toEqual([2, 2, 2, 2]);
      const listed = await deliveriesOf(w, sub.id);
      expect(listed.map((d) => [d.status, d.attempts])).toEqual(Array(4).fill(["delivered", 2]));
    }
  });

  it("delivers a state change whose first attempt never ran (the invocation died) at the next tick", async () => {
    const { w, sim, r, sub } = await subscribedWorld("died");
    const db = database(w.env.DB);
    const config = readConfig(w.env);
    await runningJob(w, "bjb-died");
    // The track and a poll commit their outbox rows, then the invocation ends before any attempt.
    const t0 = Date.now();
    const tracked = await trackJob(
      db,
      config,
      { jobId: "bjb-died", projectId: null, organizationId: null, label: null },
      t0,
      routeBudget(config),
    );
    expect(tracked.kind).toBe("created");
    await sim.advance("bjb-died", { to: "end" });
    const polled = await pollOne(db, config, "bjb-died", {
      source: "manual",
      now: t0 + 1_000,
      budget: routeBudget(config),
    });
    expect(polled.kind).toBe("polled");
    expect(await r.requests()).toHaveLength(0);
    expect((await deliveriesOf(w, sub.id)).map((d) => [d.status, d.attempts])).toEqual([
      ["pending", 0],
      ["pending", 0],
      ["pending", 0],
    ]);

    await tick(w, roundUpToTick(t0 + 1_000));
    expect((await receivedTypes(r, sub.secret)).sort()).toEqual([
      "job.finished",
      "job.status_changed",
      "job.tracked",
    ]);
    expect((await deliveriesOf(w, sub.id)).map((d) => d.status)).toEqual([
      "delivered",
      "delivered",
      "delivered",
    ]);
  });

  it("writes no event for a poll whose lease was lost", async () => {
    const { w, sim, r, sub } = await subscribedWorld("lease");
    await trackRunning(w, "bjb-lease");
    await sim.advance("bjb-lease", { to: "end" });
    const events = await countRows("events");
    // Tick A claims the job; its lease runs out while it polls and tick B takes the job over.
    const t0 = Date.now();
    await sim.fault({ kind: "latency", job_id: "bjb-lease", delay_ms: 1_500, times: 1 });
    const tickA = runTick(w.env, t0 + 2 * MINUTE);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await env.DB.prepare("update jobs set lease_token = 'tick-b', lease_until = ? where job_id = ?")
      .bind(t0 + 10 * MINUTE, "bjb-lease")
      .run();
    await tickA;
    expect(await countRows("events")).toBe(events);
    expect(await countRows("snapshots", "job_id = ?", "bjb-lease")).toBe(1);
    expect(await receivedTypes(r, sub.secret)).toEqual(["job.tracked"]);
    expect(await deliveriesOf(w, sub.id)).toHaveLength(1);
  });
});
