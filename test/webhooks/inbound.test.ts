// LlamaCloud → batchwatch: POST /webhooks/llamacloud through the real app, real local D1, callbacks
// built and signed by the simulator, LlamaCloud's status API answered by the simulator.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { signature as lcSignature } from "../../sim/callbacks";
import { simControl } from "../../sim/control";
import { app } from "../../src/app";
import { CALLBACK_POLLS_PER_MINUTE } from "../../src/monitor/callback";
import { call, errorOf, expectError, type World, world } from "../helpers/app";
import { countRows, resetDatabase } from "../helpers/d1";
import { history, job, trackRunning } from "../helpers/jobs";
import { tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream } from "../helpers/upstream";

const SECRET = "lc-callback-secret-for-tests";

/** A callback as the simulator builds and signs it (`secret: null` for an unsigned one). */
async function simulatedCallback(
  w: World,
  input: { job_id?: string; event_id?: string; data?: Record<string, unknown>; secret?: string | null },
): Promise<{ body: string; headers: Record<string, string>; eventId: string }> {
  const sent = await simControl({ apiKey: w.key }).sendCallback({ secret: SECRET, ...input, deliver: false });
  return { body: sent.body, headers: sent.headers, eventId: sent.event_id };
}

async function post(w: World, callback: { body: string; headers: Record<string, string> }) {
  return call(w, "/webhooks/llamacloud", { method: "POST", headers: callback.headers, body: callback.body });
}

describe("inbound callbacks", () => {
  beforeEach(resetDatabase);

  describe("signature", () => {
    it("with the secret set, refuses a callback without a signature and stores nothing", async () => {
      const w = world("sig-none", { LLAMA_CLOUD_WEBHOOK_SECRET: SECRET });
      await trackRunning(w, "bjb-sig-none");
      const before = await upstream(w).statusRequests("bjb-sig-none");
      const cb = await simulatedCallback(w, { job_id: "bjb-sig-none", secret: null });
      expect(cb.headers["lc-signature"]).toBeUndefined();
      const res = await post(w, cb);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBeTruthy();
      expect((await errorOf(res)).code).toBe("unauthorized");
      expect(await countRows("inbound_events")).toBe(0);
      expect(await upstream(w).statusRequests("bjb-sig-none")).toHaveLength(before.length);
    });

    it("with the secret set, refuses a wrong signature and stores nothing", async () => {
      const w = world("sig-wrong", { LLAMA_CLOUD_WEBHOOK_SECRET: SECRET });
      await trackRunning(w, "bjb-sig-wrong");
      const before = await upstream(w).statusRequests("bjb-sig-wrong");
      const wrongKey = await simulatedCallback(w, { job_id: "bjb-sig-wrong", secret: "some-other-secret" });
      const tampered = await simulatedCallback(w, { job_id: "bjb-sig-wrong" });
      const cases = [
        wrongKey,
        { ...tampered, body: tampered.body.replace("bjb-sig-wrong", "bjb-sig-wronG") },
        { ...tampered, headers: { ...tampered.headers, "lc-signature": "sha256=zz" } },
        { ...tampered, headers: { ...tampered.headers, "lc-signature": SECRET } },
      ];
      for (const cb of cases) {
        const res = await post(w, cb);
        expect(res.status).toBe(401);
        expect((await errorOf(res)).message).not.toContain(SECRET);
      }
      expect(await countRows("inbound_events")).toBe(0);
      expect(await upstream(w).statusRequests("bjb-sig-wrong")).toHaveLength(before.length);
    });

    it("with the secret set, accepts the right signature and polls the job", async () => {
      const w = world("sig-right", { LLAMA_CLOUD_WEBHOOK_SECRET: SECRET });
      await trackRunning(w, "bjb-sig-right");
      await upstream(w).advance("bjb-sig-right");
      const cb = await simulatedCallback(w, { job_id: "bjb-sig-right" });
      expect(cb.headers["lc-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
      const res = await post(w, cb);
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ received: true, duplicate: false, action: "poll" });
      const snapshots = await history(w, "bjb-sig-right");
      expect(snapshots.map((s) => s.source)).toEqual(["webhook", "track"]);
      expect((await job(w, "bjb-sig-right")).processed_items).toBe(snapshots[0]?.processed_items);
    });

    it("without a secret configured, accepts callbacks signed or not", async () => {
      const w = world("sig-unset");
      await trackRunning(w, "bjb-sig-unset");
      for (const secret of [null, "anything"]) {
        const res = await post(w, await simulatedCallback(w, { job_id: "bjb-sig-unset", secret }));
        expect(res.status).toBe(202);
      }
      expect(await countRows("inbound_events")).toBe(2);
    });
  });

  it("answers a repeated event_id with 200 and does nothing a second time", async () => {
    const w = world("dupe");
    await trackRunning(w, "bjb-dupe");
    await upstream(w).advance("bjb-dupe");
    const cb = await simulatedCallback(w, { job_id: "bjb-dupe" });
    const first = await post(w, cb);
    expect(first.status).toBe(202);
    const polls = (await upstream(w).statusRequests("bjb-dupe")).length;
    await upstream(w).advance("bjb-dupe");
    const again = await post(w, cb);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: true, duplicate: true, action: "none" });
    expect(await upstream(w).statusRequests("bjb-dupe")).toHaveLength(polls);
    expect(await history(w, "bjb-dupe")).toHaveLength(2);
    expect(await countRows("inbound_events")).toBe(1);
  });

  it("refuses a body over 64 KiB with 413 and stores nothing", async () => {
    const w = world("big", { LLAMA_CLOUD_WEBHOOK_SECRET: SECRET });
    const cb = await simulatedCallback(w, { data: { job_id: "bjb-big", padding: "x".repeat(70 * 1024) } });
    const res = await post(w, cb);
    await expectError(res, 413, "payload_too_large");
    expect(await countRows("inbound_events")).toBe(0);
  });

  it("refuses malformed JSON and a callback without an event id with 400, storing nothing", async () => {
    const w = world("malformed");
    for (const body of ['{"event_id": "e1", ', "not json", "[1, 2]", '{"data": {}}', "\xff\xfe"]) {
      const res = await call(w, "/webhooks/llamacloud", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      await expectError(res, 400, "validation_error");
    }
    expect(await countRows("inbound_events")).toBe(0);
  });

  it("checks the signature before reading the body: a malformed unsigned body is 401", async () => {
    const w = world("order", { LLAMA_CLOUD_WEBHOOK_SECRET: SECRET });
    const res = await call(w, "/webhooks/llamacloud", { method: "POST", body: "not json" });
    expect(res.status).toBe(401);
  });

  it("makes every active job due now for a callback about a job it does not track", async () => {
    const w = world("unknown");
    const t0 = Date.now();
    await trackRunning(w, "bjb-known-1");
    await trackRunning(w, "bjb-known-2");
    await upstream(w).createJob({ id: "bjb-untracked", start_at: "running" });
    const before = await job(w, "bjb-known-1");
    expect(Date.parse(before.tracking.next_poll_at ?? "")).toBeGreaterThan(t0 + 30_000);

    const res = await post(w, await simulatedCallback(w, { job_id: "bjb-untracked" }));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ action: "all_due" });
    expect(await upstream(w).statusRequests("bjb-untracked")).toHaveLength(0);
    for (const id of ["bjb-known-1", "bjb-known-2"]) {
      expect(Date.parse((await job(w, id)).tracking.next_poll_at ?? "")).toBeLessThanOrEqual(Date.now());
    }
    // A tick right away polls them, though their interval had not passed.
    await tick(w, Date.now());
    expect(await upstream(w).statusRequests("bjb-known-1")).toHaveLength(2);
    expect(await upstream(w).statusRequests("bjb-known-2")).toHaveLength(2);

    // No job named at all: the same (a minute later: unsigned, every job is made due at most once a minute).
    await env.DB.prepare(
      "update monitor_state set updated_at = updated_at - ? where key = 'callbacks_all_due'",
    )
      .bind(MINUTE)
      .run();
    const bare = await post(w, { headers: { "x-webhook-event-id": "evt-bare" }, body: '{"data": {}}' });
    expect(bare.status).toBe(202);
    expect(await bare.json()).toMatchObject({ action: "all_due" });
  });

  it("polls at once for a callback right after tracking, and has the snapshot on record by the 202", async () => {
    const w = world("right-away");
    await trackRunning(w, "bjb-right-away");
    await upstream(w).advance("bjb-right-away");
    // The answer itself is awaited here, not the background work: the poll must precede it.
    const res = await app.request(
      "http://batchwatch.test/webhooks/llamacloud",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ event_id: "evt-right-away", data: { job_id: "bjb-right-away" } }),
      },
      w.env,
      createExecutionContext(),
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ action: "poll" });
    expect((await history(w, "bjb-right-away")).map((s) => s.source)).toEqual(["webhook", "track"]);
  });

  it("past CALLBACK_POLLS_PER_MINUTE callbacks a minute, only makes the job due: a flood is not a flood of polls", async () => {
    const w = world("flood");
    await trackRunning(w, "bjb-flood");
    const before = (await upstream(w).statusRequests("bjb-flood")).length;
    const now = Date.now();
    await env.DB.batch(
      Array.from({ length: CALLBACK_POLLS_PER_MINUTE }, (_, i) =>
        env.DB.prepare("insert into inbound_events (event_id, received_at) values (?, ?)").bind(
          `evt-flood-${i}`,
          now,
        ),
      ),
    );
    const flooded = await call(w, "/webhooks/llamacloud", {
      method: "POST",
      json: { event_id: "evt-flood-last", data: { job_id: "bjb-flood" } },
    });
    expect(flooded.status).toBe(202);
    expect(await flooded.json()).toMatchObject({ action: "due" });
    expect(await upstream(w).statusRequests("bjb-flood")).toHaveLength(before);
    expect(Date.parse((await job(w, "bjb-flood")).tracking.next_poll_at ?? "")).toBeLessThanOrEqual(
      Date.now(),
    );

    // A minute on, the window is clear again and a callback polls at once.
    await env.DB.prepare("update inbound_events set received_at = received_at - 61000").run();
    const calm = await call(w, "/webhooks/llamacloud", {
      method: "POST",
      json: { event_id: "evt-calm", data: { job_id: "bjb-flood" } },
    });
    expect(await calm.json()).toMatchObject({ action: "poll" });
    expect(await upstream(w).statusRequests("bjb-flood")).toHaveLength(before + 1);
  });

  it("keeps a job due when its callback arrives while another invocation is polling it", async () => {
    const w = world("mid-poll");
    await trackRunning(w, "bjb-mid-poll");
    await upstream(w).advance("bjb-mid-poll");
    await upstream(w).fault({ kind: "latency", delay_ms: 1_500, job_id: "bjb-mid-poll" });
    // A tick polls the job; its upstream answer is slow, so the callback lands while it holds the lease.
    const inFlight = tick(w, Date.now() + 10 * MINUTE);
    await vi.waitFor(
      async () => {
        const row = await env.DB.prepare("select lease_until from jobs where job_id = ?")
          .bind("bjb-mid-poll")
          .first<{ lease_until: number | null }>();
        expect(row?.lease_until).not.toBeNull();
      },
      { timeout: 1_000, interval: 20 },
    );
    const res = await post(w, {
      headers: { "x-webhook-event-id": "evt-mid-poll" },
      body: '{"data": {"job_id": "bjb-mid-poll"}}',
    });
    expect(await res.json()).toMatchObject({ action: "due" });
    await inFlight;
    // The tick's outcome was written after the callback: the job stays due rather than waiting an interval.
    const after = await job(w, "bjb-mid-poll");
    expect(after.tracking.last_polled_at).not.toBeNull();
    expect(Date.parse(after.tracking.next_poll_at ?? "")).toBeLessThanOrEqual(Date.now());
  });

  it("with the secret set, takes the event id only from the signed body, not from a header", async () => {
    const w = world("signed-id", { LLAMA_CLOUD_WEBHOOK_SECRET: SECRET });
    // A correctly signed body without an event_id: the unsigned header must not be able to vary it.
    const body = JSON.stringify({ event_type: "batch.progress", data: {} });
    const signature = await lcSignature(SECRET, body);
    for (const id of ["replay-1", "replay-2"]) {
      const res = await call(w, "/webhooks/llamacloud", {
        method: "POST",
        headers: { "content-type": "application/json", "lc-signature": signature, "x-webhook-event-id": id },
        body,
      });
      expect(res.status).toBe(400);
    }
    expect(await countRows("inbound_events")).toBe(0);
  });

  it("finds the job in data.id when data.job_id is absent", async () => {
    const w = world("data-id");
    await trackRunning(w, "bjb-data-id");
    await upstream(w).advance("bjb-data-id");
    const res = await post(w, {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        event_id: "e-data-id",
        event_type: "batch.progress",
        data: { id: "bjb-data-id" },
      }),
    });
    expect(await res.json()).toMatchObject({ action: "poll" });
    expect((await history(w, "bjb-data-id"))[0]?.source).toBe("webhook");
  });

  it("makes a job that another invocation is polling due now instead of polling it twice", async () => {
    const w = world("busy");
    await trackRunning(w, "bjb-busy");
    const polls = (await upstream(w).statusRequests("bjb-busy")).length;
    const now = Date.now();
    await env.DB.prepare(
      "update jobs set lease_token = 'other', lease_until = ?, next_poll_at = ? where job_id = ?",
    )
      .bind(now + MINUTE, now + 10 * MINUTE, "bjb-busy")
      .run();
    const res = await post(w, await simulatedCallback(w, { job_id: "bjb-busy" }));
    expect(res.status).toBe(202);
    expect(await upstream(w).statusRequests("bjb-busy")).toHaveLength(polls);
    const row = await env.DB.prepare("select next_poll_at, lease_token from jobs where job_id = ?")
      .bind("bjb-busy")
      .first<{ next_poll_at: number; lease_token: string }>();
    expect(row?.lease_token).toBe("other");
    expect(row?.next_poll_at).toBeLessThanOrEqual(Date.now());
  });

  describe("out of order", () => {
    it("a late callback about an earlier state does not move the job back", async () => {
      const w = world("late");
      const sim = upstream(w);
      await trackRunning(w, "bjb-late");
      const early = await simulatedCallback(w, { job_id: "bjb-late" }); // built while running
      await sim.advance("bjb-late", { to: "end" });
      const done = await simulatedCallback(w, { job_id: "bjb-late" });
      expect(JSON.parse(done.body).data.status).toBe("completed");

      expect((await post(w, done)).status).toBe(202);
      expect((await job(w, "bjb-late")).status).toBe("completed");
      const snapshots = (await history(w, "bjb-late")).length;

      // The callback from before arrives last: it is only a hint, the status API says completed.
      expect((await post(w, early)).status).toBe(202);
      const after = await job(w, "bjb-late");
      expect(after.status).toBe("completed");
      expect(after.tracking.state).toBe("finished");
      expect(await history(w, "bjb-late")).toHaveLength(snapshots);
    });

    it("an answer older than the stored one, prompted by a callback, is not applied", async () => {
      const w = world("stale");
      const sim = upstream(w);
      await trackRunning(w, "bjb-stale");
      await sim.advance("bjb-stale", { to: "end" });
      expect((await post(w, await simulatedCallback(w, { job_id: "bjb-stale" }))).status).toBe(202);
      const done = await job(w, "bjb-stale");
      expect(done.status).toBe("completed");

      // A lagging replica answers with the job as it was an hour ago.
      const anHourAgo = new Date(Date.parse(done.updated_at ?? "") - 60 * MINUTE).toISOString();
      await sim.patchJob("bjb-stale", { status: "running", processed_items: 10, updated_at: anHourAgo });
      expect((await post(w, await simulatedCallback(w, { job_id: "bjb-stale" }))).status).toBe(202);
      const after = await job(w, "bjb-stale");
      expect(after.status).toBe("completed");
      expect(after.processed_items).toBe(done.processed_items);
      expect(after.updated_at).toBe(done.updated_at);
      expect((await history(w, "bjb-stale"))[0]?.status).toBe("completed");
    });
  });
});
