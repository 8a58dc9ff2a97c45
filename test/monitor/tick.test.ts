import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { readConfig } from "../../src/config";
import { database } from "../../src/db/client";
import { pollOne, routeBudget } from "../../src/monitor/poll";
import { trackJob } from "../../src/monitor/track";
import { client, expectJson, world } from "../helpers/app";
import { countRows, resetDatabase } from "../helpers/d1";
import { meterD1 } from "../helpers/d1-meter";
import { history, job, trackRunning } from "../helpers/jobs";
import { meteredTick, storeDueJobs, tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream, withUpstream } from "../helpers/upstream";

// The real scheduled handler against a real local D1, with LlamaCloud answered by the simulator.

beforeEach(resetDatabase);

describe("tick", () => {
  it("follows progress over several ticks, one snapshot per change", async () => {
    const { w, sim, t0 } = withUpstream(world("progress"));
    const tracked = await trackRunning(w, "bjb-progress");
    expect(tracked.status).toBe("running");
    expect(tracked.tracking.state).toBe("active");

    await sim.advance("bjb-progress");
    await tick(w, t0 + 2 * MINUTE);
    await sim.advance("bjb-progress");
    await tick(w, t0 + 4 * MINUTE);

    const { results: marks } = await env.DB.prepare(
      "select status_changed from snapshots where job_id = 'bjb-progress' order by id",
    ).all();
    expect(marks.map((m) => m.status_changed)).toEqual([1, 0, 0]);
    const snapshots = await history(w, "bjb-progress");
    expect(snapshots.map((s) => s.source)).toEqual(["poll", "poll", "track"]);
    const processed = snapshots.map((s) => s.processed_items ?? -1).reverse();
    expect(processed[0]).toBeLessThan(processed[1] as number);
    expect(processed[1]).toBeLessThan(processed[2] as number);
    const now = await job(w, "bjb-progress");
    expect(now.processed_items).toBe(processed[2]);
    expect(now.tracking.last_polled_at).toBe(new Date(t0 + 4 * MINUTE).toISOString());
  });

  it("writes no snapshot when nothing changed, and polls less often", async () => {
    const { w, t0 } = withUpstream(world("quiet"));
    await trackRunning(w, "bjb-quiet");
    await tick(w, t0 + 2 * MINUTE);
    const after = await job(w, "bjb-quiet");
    expect(await history(w, "bjb-quiet")).toHaveLength(1);
    expect(after.tracking.last_polled_at).toBe(new Date(t0 + 2 * MINUTE).toISOString());
    const interval =
      Date.parse(after.tracking.next_poll_at ?? "") - Date.parse(after.tracking.last_polled_at ?? "");
    expect(interval).toBe(90_000);
  });

  it("does not poll a job before it is due", async () => {
    const { w, sim, t0 } = withUpstream(world("not-due"));
    await trackRunning(w, "bjb-not-due");
    await tick(w, t0 + 10_000);
    expect(await sim.statusRequests("bjb-not-due")).toHaveLength(1);
  });

  it("stops polling at a terminal status", async () => {
    const { w, sim, t0 } = withUpstream(world("terminal"));
    await trackRunning(w, "bjb-terminal");
    await sim.advance("bjb-terminal", { to: "end" });
    await tick(w, t0 + 2 * MINUTE);
    const done = await job(w, "bjb-terminal");
    expect(done.status).toBe("completed");
    expect(done.tracking.state).toBe("finished");
    expect(done.tracking.next_poll_at).toBeNull();

    // The status timeline reads only the snapshots marked as status changes.
    const { results: marks } = await env.DB.prepare(
      "select status, status_changed from snapshots where job_id = 'bjb-terminal' order by id",
    ).all();
    expect(marks).toEqual([
      { status: "running", status_changed: 1 },
      { status: "completed", status_changed: 1 },
    ]);

    const before = (await sim.statusRequests("bjb-terminal")).length;
    await tick(w, t0 + 60 * MINUTE);
    await tick(w, t0 + 600 * MINUTE);
    expect(await sim.statusRequests("bjb-terminal")).toHaveLength(before);
  });

  it("refuses an answer too large to be a job status, keeping nothing of it", async () => {
    const { w, sim } = withUpstream(world("oversized"));
    await trackRunning(w, "bjb-oversized");
    await sim.advance("bjb-oversized");
    await sim.fault({ kind: "malformed", variant: "oversized", job_id: "bjb-oversized" });
    await tick(w, Date.now() + 2 * MINUTE);
    const now = await job(w, "bjb-oversized");
    expect(now.tracking.last_error?.code).toBe("malformed");
    expect(now.tracking.last_error?.message).toMatch(/too large/);
    expect(JSON.stringify(now)).not.toContain("debug_trace");
  });

  it.each([
    ["server_error", { kind: "server_error", status: 503 }],
    ["malformed", { kind: "malformed" }],
    ["unauthorized", { kind: "unauthorized" }],
  ] as const)("records %s, backs off and recovers", async (code, fault) => {
    const { w, sim, t0 } = withUpstream(world(`fault-${code}`));
    await trackRunning(w, "bjb-fault");
    await sim.fault({ ...fault, job_id: "bjb-fault", times: 2 });

    await tick(w, t0 + 2 * MINUTE);
    let now = await job(w, "bjb-fault");
    expect(now.tracking.last_error?.code).toBe(code);
    expect(now.tracking.consecutive_failures).toBe(1);
    expect(now.status).toBe("running");
    expect(Date.parse(now.tracking.next_poll_at ?? "")).toBe(t0 + 3 * MINUTE);

    await tick(w, t0 + 3 * MINUTE);
    now = await job(w, "bjb-fault");
    expect(now.tracking.consecutive_failures).toBe(2);
    expect(Date.parse(now.tracking.next_poll_at ?? "")).toBe(t0 + 5 * MINUTE);

    await sim.advance("bjb-fault");
    await tick(w, t0 + 5 * MINUTE);
    now = await job(w, "bjb-fault");
    expect(now.tracking.last_error).toBeNull();
    expect(now.tracking.consecutive_failures).toBe(0);
    expect(await history(w, "bjb-fault")).toHaveLength(2);
  });

  it("records a timeout when LlamaCloud does not answer within 10 s", { timeout: 30_000 }, async () => {
    const { w, sim, t0 } = withUpstream(world("timeout"));
    await trackRunning(w, "bjb-slow");
    await sim.fault({ kind: "latency", delay_ms: 11_000, job_id: "bjb-slow" });
    await tick(w, t0 + 2 * MINUTE);
    expect((await job(w, "bjb-slow")).tracking.last_error?.code).toBe("timeout");
  });

  it("records a network failure when LlamaCloud cannot be reached", async () => {
    const { w, t0 } = withUpstream(world("network"));
    await trackRunning(w, "bjb-offline");
    // The simulator's test network cannot drop a connection, so this one fetch is refused here.
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockRejectedValueOnce(new TypeError("Network connection lost."));
    try {
      await tick(w, t0 + 2 * MINUTE);
    } finally {
      spy.mockRestore();
    }
    const now = await job(w, "bjb-offline");
    expect(now.tracking.last_error).toMatchObject({
      code: "network",
      message: "Could not reach LlamaCloud: Network connection lost.",
    });
    expect(now.tracking.consecutive_failures).toBe(1);
  });

  it("records not_configured without an API key and never calls upstream", async () => {
    const w = world("no-key");
    await upstream(w).createJob({ id: "bjb-nokey", start_at: "running" });
    const unconfigured = { ...w, env: { ...w.env, LLAMA_CLOUD_API_KEY: undefined } };
    const res = await client(unconfigured).api.jobs.$post({ json: { job_id: "bjb-nokey" } });
    expect(res.status).toBe(201);
    await tick(unconfigured, Date.now() + 2 * MINUTE);
    const now = await job(w, "bjb-nokey");
    expect(now.tracking.last_error?.code).toBe("not_configured");
    expect(now.tracking.consecutive_failures).toBe(2);
    expect(await upstream(w).statusRequests("bjb-nokey")).toHaveLength(0);
  });

  it("pauses every job after a 429 until Retry-After has passed", async () => {
    const { w, sim, t0 } = withUpstream(world("rate-limit"));
    const ids = ["bjb-rl-1", "bjb-rl-2", "bjb-rl-3"];
    for (const id of ids) await trackRunning(w, id);
    await sim.fault({ kind: "rate_limit", retry_after: 600, times: 1 });

    await tick(w, t0 + 2 * MINUTE);
    const afterFirst = (await sim.statusRequests()).length;
    const jobs = await Promise.all(ids.map((id) => job(w, id)));
    const limited = jobs.filter((j) => j.tracking.last_error?.code === "rate_limited");
    expect(limited).toHaveLength(1);
    expect(Date.parse(limited[0]?.tracking.next_poll_at ?? "")).toBeGreaterThan(t0 + 10 * MINUTE);
    expect(limited[0]?.tracking.consecutive_failures).toBe(0);
    // Still inside the pause: nothing is polled, whatever each job's own schedule says.
    await env.DB.prepare("update jobs set next_poll_at = 0").run();
    await tick(w, t0 + 5 * MINUTE);
    expect(await sim.statusRequests()).toHaveLength(afterFirst);

    await tick(w, t0 + 13 * MINUTE);
    expect((await sim.statusRequests()).length).toBe(afterFirst + ids.length);
  });

  it("never moves a job backwards on a stale answer", async () => {
    const { w, sim, t0 } = withUpstream(world("stale"));
    await trackRunning(w, "bjb-stale");
    await sim.advance("bjb-stale", { steps: 3 });
    await tick(w, t0 + 2 * MINUTE);
    const fresh = await job(w, "bjb-stale");

    await sim.patchJob("bjb-stale", {
      status: "pending",
      processed_items: 0,
      updated_at: "2020-01-01T00:00:00Z",
    });
    await tick(w, t0 + 4 * MINUTE);
    const after = await job(w, "bjb-stale");
    expect(after.status).toBe(fresh.status);
    expect(after.processed_items).toBe(fresh.processed_items);
    expect(after.updated_at).toBe(fresh.updated_at);
    expect(await history(w, "bjb-stale")).toHaveLength(2);
  });

  it("polls each job once when two ticks overlap", async () => {
    const { w, sim, t0 } = withUpstream(world("overlap"));
    const ids = Array.from({ length: 12 }, (_, i) => `bjb-overlap-${i}`);
    for (const id of ids) await trackRunning(w, id);
    await sim.fault({ kind: "latency", delay_ms: 200, forever: true });

    await Promise.all([tick(w, t0 + 2 * MINUTE), tick(w, t0 + 2 * MINUTE), tick(w, t0 + 2 * MINUTE)]);

    for (const id of ids) expect(await sim.statusRequests(id)).toHaveLength(2);
    expect(await countRows("jobs", "lease_token is not null")).toBe(0);
  });

  it("stores and shows unknown statuses and extra fields", async () => {
    const { w, sim, t0 } = withUpstream(world("unknown"));
    await trackRunning(w, "bjb-new-status");
    await sim.patchJob("bjb-new-status", {
      status: "paused_for_review",
      extra: { reviewer: "ada", priority: 3 },
    });
    await tick(w, t0 + 2 * MINUTE);
    const now = await job(w, "bjb-new-status");
    expect(now.status).toBe("paused_for_review");
    expect(now.tracking.state).toBe("active");
    expect(now.extra).toMatchObject({ reviewer: "ada", priority: 3 });
    expect((await history(w, "bjb-new-status"))[0]?.status).toBe("paused_for_review");
  });

  it("answers upstream timestamps in UTC and LlamaCloud's own project id", async () => {
    const { w, sim } = withUpstream(world("utc"));
    await sim.createJob({ id: "bjb-utc", total_items: 10, start_at: "running", project_id: "prj-real" });
    await client(w).api.jobs.$post({ json: { job_id: "bjb-utc", project_id: "prj-typo" } });
    await sim.patchJob("bjb-utc", {
      processed_items: 3,
      created_at: "2026-11-01T08:00:00.5",
      updated_at: "2030-01-01T02:00:00.123456+02:00",
    });
    await tick(w, Date.now() + 2 * MINUTE);
    const now = await job(w, "bjb-utc");
    expect(now.created_at).toBe("2026-11-01T08:00:00.500Z");
    expect(now.updated_at).toBe("2030-01-01T00:00:00.123Z");
    expect((await history(w, "bjb-utc"))[0]?.upstream_updated_at).toBe("2030-01-01T00:00:00.123Z");
    expect(now.project_id).toBe("prj-real");
  });

  it("declares a job lost after three 404s in a row, then stops polling it", async () => {
    const { w, sim, t0 } = withUpstream(world("lost"));
    await trackRunning(w, "bjb-lost");
    await sim.deleteJob("bjb-lost");
    await tick(w, t0 + 2 * MINUTE);
    expect((await job(w, "bjb-lost")).tracking.state).toBe("active");
    await tick(w, t0 + 4 * MINUTE);
    expect((await job(w, "bjb-lost")).tracking.state).toBe("active");
    await tick(w, t0 + 8 * MINUTE);
    const lost = await job(w, "bjb-lost");
    expect(lost.tracking.state).toBe("lost");
    expect(lost.tracking.next_poll_at).toBeNull();
    const calls = (await sim.statusRequests("bjb-lost")).length;
    await tick(w, t0 + 120 * MINUTE);
    expect(await sim.statusRequests("bjb-lost")).toHaveLength(calls);
  });

  it("keeps one job's failure from touching another's outcome", async () => {
    const { w, sim, t0 } = withUpstream(world("isolation"));
    await trackRunning(w, "bjb-good");
    await trackRunning(w, "bjb-bad");
    await sim.fault({ kind: "server_error", job_id: "bjb-bad", forever: true });
    await sim.advance("bjb-good");
    await tick(w, t0 + 2 * MINUTE);
    expect((await job(w, "bjb-good")).tracking.last_error).toBeNull();
    expect(await history(w, "bjb-good")).toHaveLength(2);
    expect((await job(w, "bjb-bad")).tracking.last_error?.code).toBe("server_error");
  });

  it("records the tick for /healthz", async () => {
    const w = world("health");
    const at = Date.now() + 2 * MINUTE;
    await tick(w, at);
    const body = await expectJson(client(w).healthz.$get(), 200);
    expect(body.ok).toBe(true);
    expect(Date.parse(body.last_tick_at ?? "")).toBeGreaterThanOrEqual(at);
  });
});

describe("tick cost", () => {
  // The claim, the outcome batch(es) and the notification work: a handful of trips, never one per job.
  it.each([1, 100])(
    "writes a tick of %i due jobs in a few D1 round trips, not one per job",
    async (count) => {
      const { w, sim, t0: now } = withUpstream(world(`cost-${count}`));
      const ids = Array.from({ length: count }, (_, i) => `bjb-cost-${i}`);
      // Each poll finds the job running, a change.
      await storeDueJobs(ids, now, (id) => sim.createJob({ id, start_at: "running" }));
      const { result, d1 } = await meteredTick(w, now);
      expect(result.polled).toBe(count);
      expect(result.changed).toBe(count);
      expect(d1.trips()).toBe(result.roundTrips);
      expect(result.roundTrips).toBeLessThanOrEqual(count === 1 ? 4 : 6);
      console.log(`tick of ${count} due job(s): ${result.roundTrips} D1 round trips`);
      expect(await countRows("snapshots")).toBe(count);
    },
  );
});

describe("retention", () => {
  it("prunes snapshots older than HISTORY_RETENTION_DAYS but always keeps a job's newest", async () => {
    const w = world("retention", { HISTORY_RETENTION_DAYS: "10" });
    const now = Date.now();
    const day = 86_400_000;
    const insert = (jobId: string, ageDays: number, processed: number) =>
      env.DB.prepare(
        "insert into snapshots (job_id, observed_at, source, status, processed_items) values (?, ?, 'poll', 'running', ?)",
      ).bind(jobId, now - ageDays * day, processed);
    await env.DB.batch([
      // A job whose whole history is old: only its newest snapshot survives.
      insert("bjb-old", 30, 1),
      insert("bjb-old", 20, 2),
      insert("bjb-old", 15, 3),
      // A job with old and recent snapshots: the old ones go.
      insert("bjb-mixed", 40, 10),
      insert("bjb-mixed", 11, 20),
      insert("bjb-mixed", 9, 30),
      insert("bjb-mixed", 1, 40),
      env.DB.prepare(
        "insert into ticks (started_at, duration_ms, due, polled, changed, errors) values (?, 5, 0, 0, 0, 0)",
      ).bind(now - 8 * day),
    ]);
    await tick(w, now);
    const { results } = await env.DB.prepare(
      "select job_id, processed_items from snapshots order by job_id, observed_at",
    ).all();
    expect(results).toEqual([
      { job_id: "bjb-mixed", processed_items: 30 },
      { job_id: "bjb-mixed", processed_items: 40 },
      { job_id: "bjb-old", processed_items: 3 },
    ]);
    const ticks = await env.DB.prepare("select started_at from ticks").all<{ started_at: number }>();
    expect(ticks.results.every((t) => t.started_at > now - 7 * day)).toBe(true);
  });
});

describe("single-job cost", () => {
  it("tracks a job and polls it on request in two D1 round trips each", async () => {
    const w = world("one-job-cost");
    await upstream(w).createJob({ id: "bjb-one", start_at: "running", total_items: 5 });
    const counted = meterD1(env.DB);
    const db = database(counted.db);
    const config = readConfig(w.env);
    const tracked = await trackJob(
      db,
      config,
      { jobId: "bjb-one", projectId: null, organizationId: null, label: null },
      Date.now(),
      routeBudget(config),
    );
    expect(tracked.kind).toBe("created");
    expect(counted.trips()).toBe(2);
    await upstream(w).advance("bjb-one");
    const polled = await pollOne(db, config, "bjb-one", {
      source: "manual",
      now: Date.now() + 1000,
      budget: routeBudget(config),
    });
    expect(polled.kind).toBe("polled");
    expect(counted.trips()).toBe(4);
  });
});
