// Webhooks end to end: a real `wrangler dev`, the simulator sending signed LlamaCloud callbacks to it
// over real HTTP, and a subscriber (the simulator's receiver) getting batchwatch's notifications,
// each one verified with the `standardwebhooks` library.

import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { ReceiverControl } from "../../sim/control";
import type { SnapshotJson } from "../../src/present/jobs";
import { eventually, useStack } from "./harness";

// Subscribers here are plain http on loopback, which only local development allows.
const { sim, api, tickWhenDue, receiver } = useStack({
  callbacks: true,
  vars: { POLL_INTERVAL_SECONDS: "1", ALLOW_HTTP_WEBHOOKS: "true" },
});

interface Notification {
  type: string;
  data: { job: { id: string; status: string | null }; previous: { status: string | null } | null };
}

async function subscribe(url: string, body: Record<string, unknown> = {}) {
  const res = await api("/api/subscriptions", { method: "POST", json: { url, ...body } });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { subscription: { id: string; secret: string } }).subscription;
}

/** The notifications received so far, each verified as a Standard Webhooks subscriber would. */
async function verified(r: ReceiverControl, secret: string) {
  const webhook = new Webhook(secret);
  return (await r.requests()).map((request) => ({
    id: request.headers["webhook-id"],
    body: webhook.verify(request.body, request.headers) as Notification,
  }));
}

async function receivedCount(r: ReceiverControl, n: number) {
  return eventually(async () => ((await r.requests()).length >= n ? true : undefined));
}

describe("webhooks under wrangler dev", () => {
  it("a LlamaCloud callback brings a status change that reaches the subscriber", async () => {
    const r = receiver("e2e-callback");
    const sub = await subscribe(r.url(), { job_id: "bjb-e2e-hook" });
    await sim().createJob({ id: "bjb-e2e-hook", mode: "manual", total_items: 20, start_at: "running" });
    expect((await api("/api/jobs", { method: "POST", json: { job_id: "bjb-e2e-hook" } })).status).toBe(201);
    await receivedCount(r, 1);

    // The simulator finishes the job and tells batchwatch with a signed callback; no tick runs.
    await sim().advance("bjb-e2e-hook", { to: "end" });
    // The end of the job is a status change and, since tracking ends with it, job.finished.
    await receivedCount(r, 3);

    const got = await verified(r, sub.secret);
    expect(got.map((v) => v.body.type).sort()).toEqual(["job.finished", "job.status_changed", "job.tracked"]);
    const changed = got.find((v) => v.body.type === "job.status_changed");
    expect(changed?.body.data.job).toMatchObject({ id: "bjb-e2e-hook", status: "completed" });
    expect(changed?.body.data.previous).toMatchObject({ status: "running" });
    expect(new Set(got.map((v) => v.id)).size).toBe(3);

    const callbacks = await sim().callbacks();
    const finished = callbacks.filter((c) => c.job_id === "bjb-e2e-hook" && c.event_type === "batch.success");
    expect(finished.map((c) => c.status)).toEqual([202]);
    const history = (await (await api("/api/jobs/bjb-e2e-hook/history")).json()) as {
      snapshots: SnapshotJson[];
    };
    expect(history.snapshots[0]).toMatchObject({ source: "webhook", status: "completed" });

    const deliveries = (await (await api(`/api/subscriptions/${sub.id}/deliveries`)).json()) as {
      deliveries: { status: string; attempts: number }[];
    };
    expect(deliveries.deliveries.map((d) => [d.status, d.attempts])).toEqual([
      ["delivered", 1],
      ["delivered", 1],
      ["delivered", 1],
    ]);
  });

  it("a change seen by the cron tick reaches the subscriber", async () => {
    await sim().setConfig({ auto_callbacks: false });
    const r = receiver("e2e-tick");
    const sub = await subscribe(r.url(), { job_id: "bjb-e2e-tick", events: ["job.progressed"] });
    await sim().createJob({
      id: "bjb-e2e-tick",
      mode: "manual",
      total_items: 20,
      items_per_step: 5,
      start_at: "running",
    });
    expect((await api("/api/jobs", { method: "POST", json: { job_id: "bjb-e2e-tick" } })).status).toBe(201);

    await sim().advance("bjb-e2e-tick");
    await tickWhenDue(); // polls, raises job.progressed and makes its first attempt
    await receivedCount(r, 1);
    const got = await verified(r, sub.secret);
    expect(got.map((v) => v.body.type)).toEqual(["job.progressed"]);
    expect(got[0]?.body.data.job).toMatchObject({ id: "bjb-e2e-tick", status: "running" });
    const { deliveries } = (await (await api(`/api/subscriptions/${sub.id}/deliveries`)).json()) as {
      deliveries: { id: string; status: string; attempts: number }[];
    };
    expect(deliveries).toEqual([
      expect.objectContaining({ id: got[0]?.id, status: "delivered", attempts: 1 }),
    ]);
  });
});
