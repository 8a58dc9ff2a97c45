// What anyone on the internet can make batchwatch do through POST /webhooks/llamacloud: without a
// signing secret the callbacks are unauthenticated, so they must not grow storage or upstream traffic
// without bound; with one, a correctly signed but old body must not be replayable.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { signature as lcSignature } from "../../sim/callbacks";
import { CALLBACK_POLLS_PER_MINUTE } from "../../src/monitor/callback";
import { call, errorOf, expectError, type World, world } from "../helpers/app";
import { countRows, insertItems, resetDatabase } from "../helpers/d1";
import { job, trackRunning } from "../helpers/jobs";
import { tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream } from "../helpers/upstream";

const SECRET = "lc-callback-secret-for-limit-tests";

function post(w: World, body: unknown, headers: Record<string, string> = {}) {
  return call(w, "/webhooks/llamacloud", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function actionOf(res: Response): Promise<string> {
  return ((await res.json()) as { action: string }).action;
}

const nextPollAt = async (w: World, id: string) => Date.parse((await job(w, id)).tracking.next_poll_at ?? "");

describe("unsigned callbacks", () => {
  beforeEach(resetDatabase);

  it("500 with fresh ids naming no tracked job store nothing and make the jobs due once a minute", async () => {
    const w = world("flood-unknown");
    await trackRunning(w, "bjb-flood-a");
    await trackRunning(w, "bjb-flood-b");
    const actions: string[] = [];
    for (let i = 0; i < 500; i++) {
      const data = i % 2 === 0 ? { job_id: `bjb-forged-${i}` } : {};
      const res = await post(w, { event_id: `evt-forged-${i}`, event_type: "batch.running", data });
      expect(res.status).toBe(202);
      actions.push(await actionOf(res));
      // A tick after the first callback polls the jobs, so their backoff starts again.
      if (i === 0) await tick(w, Date.now());
    }
    expect(actions.filter((a) => a === "all_due")).toHaveLength(1);
    expect(actions.slice(1).every((a) => a === "none")).toBe(true);
    expect(await countRows("inbound_events")).toBe(0);
    // The tick's polls put the jobs back on their interval, and no later callback pulled them forward.
    for (const id of ["bjb-flood-a", "bjb-flood-b"]) {
      expect(await nextPollAt(w, id)).toBeGreaterThan(Date.now());
      expect(await upstream(w).statusRequests(id)).toHaveLength(2);
    }

    // A minute after the last time, the next such callback makes every job due again.
    await env.DB.prepare(
      "update monitor_state set updated_at = updated_at - ? where key = 'callbacks_all_due'",
    )
      .bind(MINUTE)
      .run();
    const later = await post(w, { event_id: "evt-forged-later", data: {} });
    expect(await actionOf(later)).toBe("all_due");
    expect(await nextPollAt(w, "bjb-flood-a")).toBeLessThanOrEqual(Date.now());
  });

  it("500 with fresh ids naming a tracked job store at most a minute's limit and poll no more", async () => {
    const w = world("flood-named");
    await trackRunning(w, "bjb-flood-named");
    const before = (await upstream(w).statusRequests("bjb-flood-named")).length;
    for (let i = 0; i < 500; i++) {
      const res = await post(w, { event_id: `evt-named-${i}`, data: { job_id: "bjb-flood-named" } });
      expect(res.status).toBe(202);
    }
    expect(await countRows("inbound_events")).toBe(CALLBACK_POLLS_PER_MINUTE);
    const polls = (await upstream(w).statusRequests("bjb-flood-named")).length - before;
    expect(polls).toBeLessThanOrEqual(CALLBACK_POLLS_PER_MINUTE);
  });

  it("naming a child job of a tracked batch are stored and poll that batch", async () => {
    const w = world("child-named");
    await trackRunning(w, "bjb-parent");
    await insertItems("bjb-parent", [{ itemId: "file-1", status: "running", childJobId: "pjb-child-1" }]);
    const polls = (await upstream(w).statusRequests("bjb-parent")).length;
    const res = await post(w, {
      event_id: "evt-child",
      event_type: "parse.success",
      data: { job_id: "pjb-child-1" },
    });
    expect(res.status).toBe(202);
    expect(await actionOf(res)).toBe("poll");
    expect(await countRows("inbound_events")).toBe(1);
    expect(await upstream(w).statusRequests("bjb-parent")).toHaveLength(polls + 1);
  });

  it("are still remembered (a repeat answers 200) while they name a tracked job", async () => {
    const w = world("unsigned-repeat");
    await trackRunning(w, "bjb-unsigned-repeat");
    const body = { event_id: "evt-unsigned-repeat", data: { job_id: "bjb-unsigned-repeat" } };
    expect((await post(w, body)).status).toBe(202);
    const again = await post(w, body);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: true, duplicate: true, action: "none" });
    expect(await countRows("inbound_events")).toBe(1);
  });
});

describe("signed callbacks and their timestamp", () => {
  beforeEach(resetDatabase);

  async function signedPost(w: World, fields: Record<string, unknown>) {
    const body = JSON.stringify(fields);
    return post(w, body, { "lc-signature": await lcSignature(SECRET, body) });
  }

  it("refuses a correctly signed body dated 2001 with 401, storing and polling nothing", async () => {
    const w = world("replay", { LLAMA_CLOUD_WEBHOOK_SECRET: SECRET });
    await trackRunning(w, "bjb-replay");
    const polls = (await upstream(w).statusRequests("bjb-replay")).length;
    for (const timestamp of ["2001-01-01T00:00:00Z", 978_307_200, Date.now() / 1000 - 8 * 86_400]) {
      const res = await signedPost(w, { event_id: "evt-replay", timestamp, data: { job_id: "bjb-replay" } });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("LC-Signature");
      expect((await errorOf(res)).code).toBe("unauthorized");
    }
    expect(await countRows("inbound_events")).toBe(0);
    expect(await upstream(w).statusRequests("bjb-replay")).toHaveLength(polls);
  });

  it("refuses a signed body without a timestamp with 400 and accepts a fresh one", async () => {
    const w = world("no-ts", { LLAMA_CLOUD_WEBHOOK_SECRET: SECRET });
    await trackRunning(w, "bjb-no-ts");
    const missing = await signedPost(w, { event_id: "evt-no-ts", data: { job_id: "bjb-no-ts" } });
    await expectError(missing, 400, "validation_error");
    expect(await countRows("inbound_events")).toBe(0);

    const fresh = await signedPost(w, {
      event_id: "evt-no-ts",
      timestamp: Date.now() / 1000,
      data: { job_id: "bjb-no-ts" },
    });
    expect(fresh.status).toBe(202);
    expect(await actionOf(fresh)).toBe("poll");
  });

  it("still makes every job due for each fresh signed callback naming no tracked job", async () => {
    const w = world("signed-all-due", { LLAMA_CLOUD_WEBHOOK_SECRET: SECRET });
    await trackRunning(w, "bjb-signed-all-due");
    for (const id of ["evt-all-1", "evt-all-2"]) {
      const res = await signedPost(w, { event_id: id, timestamp: Date.now() / 1000, data: {} });
      expect(await actionOf(res)).toBe("all_due");
    }
  });
});
