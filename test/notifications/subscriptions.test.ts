// The subscription routes: auth, validation (nothing stored on bad input), the secret shown once,
// deletion, the deliveries list and its pagination, and the retention clean-up.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { ADMIN, admin, call, client, expectError, expectJson, READ_TOKEN, world } from "../helpers/app";
import { countRows, resetDatabase } from "../helpers/d1";
import { tick } from "../helpers/tick";
import { upstream } from "../helpers/upstream";
import { type Delivery, deliveriesOf, receiver, subscribe } from "./helpers";

const DAY = 86_400_000;

describe("subscription routes", () => {
  beforeEach(resetDatabase);

  it("shows the signing secret once, in the answer that creates the subscription", async () => {
    const w = world("secret-once");
    const created = await subscribe(w, {
      url: "https://hooks.example.com/batchwatch",
      events: ["job.status_changed", "job.stalled", "job.status_changed"],
      job_id: "bjb-1",
    });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^sub_/),
      url: "https://hooks.example.com/batchwatch",
      events: ["job.status_changed", "job.stalled"],
      job_id: "bjb-1",
      disabled_at: null,
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{44}$/);

    const all = await subscribe(w, { url: "https://hooks.example.com/all" });
    expect(all).toMatchObject({ events: null, job_id: null });
    // null is "not given", as many JSON clients write an empty optional field.
    const nulls = await subscribe(w, { url: "https://hooks.example.com/nulls", events: null, job_id: null });
    expect(nulls).toMatchObject({ events: null, job_id: null });
    expect(all.secret).not.toBe(created.secret);

    const res = await client(w).api.subscriptions.$get({ query: {} });
    const text = await res.clone().text();
    expect(text).not.toContain("whsec_");
    expect(text).not.toContain(created.secret.slice(6));
    const { subscriptions } = await expectJson(res, 200);
    expect(subscriptions.map((s) => s.id)).toEqual([nulls.id, all.id, created.id]);
    expect(subscriptions.every((s) => !("secret" in s))).toBe(true);
  });

  it("documents the subscription and callback routes in the OpenAPI document", async () => {
    const res = await call(world("openapi"), "/openapi.json");
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths["/api/subscriptions"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/api/subscriptions/{id}"] ?? {})).toEqual(["delete"]);
    expect(Object.keys(doc.paths["/api/subscriptions/{id}/deliveries"] ?? {})).toEqual(["get"]);
    expect(Object.keys(doc.paths["/api/deliveries/{id}/retry"] ?? {})).toEqual(["post"]);
    expect(Object.keys(doc.paths["/webhooks/llamacloud"] ?? {})).toEqual(["post"]);
  });

  it("needs the admin token for every subscription route", async () => {
    const w = world("auth");
    const sub = await subscribe(w, { url: "https://hooks.example.com/x" });
    const routes: [string, string][] = [
      ["POST", "/api/subscriptions"],
      ["GET", "/api/subscriptions"],
      ["DELETE", `/api/subscriptions/${sub.id}`],
      ["GET", `/api/subscriptions/${sub.id}/deliveries`],
      ["POST", "/api/deliveries/msg_x/retry"],
    ];
    for (const [method, path] of routes) {
      const json =
        method === "POST" && path === "/api/subscriptions" ? { url: "https://a.example.com/" } : undefined;
      const presented: Record<string, string>[] = [
        {},
        { authorization: `Bearer ${READ_TOKEN}` },
        { authorization: "Bearer nope" },
      ];
      for (const headers of presented) {
        const res = await call(w, path, { method, headers, json });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toBeTruthy();
      }
      const closed = await call({ ...w, env: { ...w.env, ADMIN_TOKEN: "" } }, path, {
        method,
        headers: ADMIN,
        json,
      });
      expect(closed.status, `${method} ${path}`).toBe(503);
    }
    expect(await countRows("subscriptions")).toBe(1);
  });

  it.each([
    ["http URL", { url: "http://hooks.example.com/x" }],
    ["loopback", { url: "https://127.0.0.1/x" }],
    ["private", { url: "https://10.0.0.8/x" }],
    ["link-local metadata", { url: "https://169.254.169.254/latest" }],
    ["IPv6 loopback", { url: "https://[::1]/x" }],
    ["localhost", { url: "https://localhost:8443/x" }],
    ["not a URL", { url: "hooks" }],
    ["credentials in the URL", { url: "https://me:pw@hooks.example.com/x" }],
    ["missing url", { events: ["job.stalled"] }],
    ["unknown event type", { url: "https://hooks.example.com/x", events: ["job.exploded"] }],
    ["empty events", { url: "https://hooks.example.com/x", events: [] }],
    ["events not a list", { url: "https://hooks.example.com/x", events: "job.stalled" }],
    ["job_id too long", { url: "https://hooks.example.com/x", job_id: "j".repeat(201) }],
    ["empty job_id", { url: "https://hooks.example.com/x", job_id: "" }],
    ["unknown field", { url: "https://hooks.example.com/x", secret: "whsec_mine" }],
  ])("refuses %s with 400 and stores nothing", async (_, body) => {
    const w = world("bad");
    const res = await admin(w, "/api/subscriptions", { method: "POST", json: body });
    await expectError(res, 400, "validation_error");
    expect(await countRows("subscriptions")).toBe(0);
  });

  it("refuses malformed JSON, a wrong content type and an oversized body", async () => {
    const w = world("bad-body");
    const malformed = await admin(w, "/api/subscriptions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"url": ',
    });
    expect(malformed.status).toBe(400);
    const text = await admin(w, "/api/subscriptions", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ url: "https://hooks.example.com/x" }),
    });
    expect([400, 415]).toContain(text.status);
    const big = await admin(w, "/api/subscriptions", {
      method: "POST",
      json: { url: `https://hooks.example.com/${"x".repeat(70 * 1024)}` },
    });
    expect(big.status).toBe(413);
    expect(await countRows("subscriptions")).toBe(0);
  });

  it("lets local development subscribe http and local URLs with ALLOW_HTTP_WEBHOOKS", async () => {
    const w = world("allow-http", { ALLOW_HTTP_WEBHOOKS: "true" });
    const sub = await subscribe(w, { url: "http://localhost:8788/receiver/demo" });
    expect(sub.url).toBe("http://localhost:8788/receiver/demo");
  });

  it("deletes a subscription with its deliveries; pending ones are never sent", async () => {
    const w = world("delete");
    const r = receiver("delete");
    await r.script([{ status: 500 }]);
    const sub = await subscribe(w, { url: r.url() });
    await upstream(w).createJob({ id: "bjb-delete", start_at: "running" });
    await admin(w, "/api/jobs", { method: "POST", json: { job_id: "bjb-delete" } });
    expect((await deliveriesOf(w, sub.id)).map((d) => d.status)).toEqual(["pending"]);

    expect((await admin(w, `/api/subscriptions/${sub.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await admin(w, `/api/subscriptions/${sub.id}`, { method: "DELETE" })).status).toBe(404);
    expect((await admin(w, `/api/subscriptions/${sub.id}/deliveries`)).status).toBe(404);
    expect(await countRows("deliveries")).toBe(0);
    await tick(w, Date.now() + 10 * 60_000);
    expect(await r.requests()).toHaveLength(1);
  });

  it("pages through subscriptions newest first without gaps or duplicates", async () => {
    const w = world("sub-pages");
    const created: string[] = [];
    for (let i = 0; i < 7; i++)
      created.push((await subscribe(w, { url: `https://hooks.example.com/${i}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: { limit: string; cursor?: string } = cursor ? { limit: "3", cursor } : { limit: "3" };
      const page = await expectJson(client(w).api.subscriptions.$get({ query }), 200);
      seen.push(...page.subscriptions.map((sub) => sub.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
    expect(seen.sort()).toEqual([...created].sort());
    expect((await admin(w, "/api/subscriptions?limit=0")).status).toBe(400);
  });

  it("pages through deliveries newest first without gaps or duplicates", async () => {
    const w = world("pages");
    const r = receiver("pages");
    const sub = await subscribe(w, { url: r.url(), events: ["job.tracked"] });
    const ids = Array.from({ length: 7 }, (_, i) => `bjb-page-${i}`);
    for (const id of ids) {
      await upstream(w).createJob({ id, start_at: "running" });
      await admin(w, "/api/jobs", { method: "POST", json: { job_id: id } });
    }
    const all = await deliveriesOf(w, sub.id);
    expect(all).toHaveLength(7);

    const seen: Delivery[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: { limit: string; cursor?: string } = cursor ? { limit: "3", cursor } : { limit: "3" };
      const deliveries = client(w).api.subscriptions[":id"].deliveries;
      const page = await expectJson(deliveries.$get({ param: { id: sub.id }, query }), 200);
      seen.push(...page.deliveries);
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.map((d) => d.id)).toEqual(all.map((d) => d.id));
    const created = seen.map((d) => Date.parse(d.created_at));
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    expect(Object.keys(seen[0] as Delivery).sort()).toEqual(
      [
        "attempts",
        "created_at",
        "delivered_at",
        "event_id",
        "event_type",
        "id",
        "last_error",
        "last_status_code",
        "next_attempt_at",
        "status",
      ].sort(),
    );

    for (const bad of ["limit=0", "limit=201", "limit=x", "cursor=not-a-cursor"]) {
      const res = await admin(w, `/api/subscriptions/${sub.id}/deliveries?${bad}`);
      expect(res.status, bad).toBe(400);
    }
    expect((await admin(w, "/api/subscriptions/sub_nope/deliveries")).status).toBe(404);
  });

  it("prunes delivered rows and remembered callbacks after their retention; keeps recent and failed ones", async () => {
    const w = world("prune");
    const now = Date.now();
    const sub = await subscribe(w, { url: "https://hooks.example.com/prune" });
    const insert = (sql: string, ...binds: unknown[]) => env.DB.prepare(sql).bind(...binds);
    const event = (id: string, at: number) =>
      insert(
        "insert into events (id, type, job_id, created_at, payload) values (?, 'job.tracked', 'bjb-x', ?, '{}')",
        id,
        at,
      );
    const delivery = (id: string, eventId: string, status: string, at: number) =>
      insert(
        "insert into deliveries (id, event_id, subscription_id, status, attempts, created_at, last_attempt_at) values (?, ?, ?, ?, 1, ?, ?)",
        id,
        eventId,
        sub.id,
        status,
        at,
        at,
      );
    await env.DB.batch([
      event("evt_old", now - 10 * DAY),
      event("evt_new", now - DAY),
      event("evt_orphan", now - 10 * DAY),
      delivery("msg_old_delivered", "evt_old", "delivered", now - 10 * DAY),
      delivery("msg_old_failed", "evt_old", "failed", now - 10 * DAY),
      delivery("msg_new_delivered", "evt_new", "delivered", now - DAY),
      insert("insert into inbound_events (event_id, received_at) values ('in_old', ?)", now - 10 * DAY),
      insert("insert into inbound_events (event_id, received_at) values ('in_new', ?)", now - DAY),
    ]);
    await tick(w, now);
    const left = await env.DB.prepare("select id from deliveries order by id").all<{ id: string }>();
    expect(left.results.map((r) => r.id)).toEqual(["msg_new_delivered", "msg_old_failed"]);
    const events = await env.DB.prepare("select id from events order by id").all<{ id: string }>();
    expect(events.results.map((r) => r.id)).toEqual(["evt_new", "evt_old"]);
    const inbound = await env.DB.prepare("select event_id from inbound_events").all<{ event_id: string }>();
    expect(inbound.results.map((r) => r.event_id)).toEqual(["in_new"]);
  });
});
