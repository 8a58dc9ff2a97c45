import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { runTick } from "../../src/monitor/tick";
import { admin, type World, world } from "../helpers/app";
import { countRows, insertJob, insertJobs, resetDatabase } from "../helpers/d1";
import { job, track } from "../helpers/jobs";
import { tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream } from "../helpers/upstream";
import { createWatch, jobsFoundBy, trackedIds, watchOf } from "./helpers";

// Discovery through the real scheduled handler against a real local D1, LlamaCloud answered by the
// simulator: first scans, later batches, pagination, deleted jobs, errors and the budget rule.

beforeEach(resetDatabase);

/** A project with v1 jobs and v2 batches in every state that matters, plus a neighbour project. */
async function seedProject(w: World) {
  const sim = upstream(w);
  await sim.createJob({ id: "bjb-run", project_id: "prj-1", start_at: "running" });
  await sim.createJob({ id: "bjb-wait", project_id: "prj-1" });
  await sim.createJob({ id: "bjb-disp", project_id: "prj-1", start_at: "dispatched" });
  await sim.createJob({ id: "bjb-over", project_id: "prj-1", start_at: "end" });
  await sim.createJob({ id: "bjb-elsewhere", project_id: "prj-2", start_at: "running" });
  await sim.createBatch({ id: "bat-run", project_id: "prj-1", start_at: "running" });
  await sim.createBatch({ id: "bat-wait", project_id: "prj-1" });
  await sim.createBatch({ id: "bat-over", project_id: "prj-1", start_at: "end" });
  await sim.createBatch({ id: "bat-elsewhere", project_id: "prj-2", start_at: "running" });
  return sim;
}

const ACTIVE_IN_PRJ_1 = ["bat-run", "bat-wait", "bjb-disp", "bjb-run", "bjb-wait"];

describe("a watch's first scan", () => {
  it("tracks every non-terminal batch of its project, of both generations, and nothing else", async () => {
    const w = world("first-scan");
    await seedProject(w);
    const watch = await createWatch(w, { project_id: "prj-1", label: "prj 1" });

    await tick(w);
    expect(await trackedIds()).toEqual(ACTIVE_IN_PRJ_1);
    expect(await jobsFoundBy(watch.id)).toEqual(ACTIVE_IN_PRJ_1);
    const found = await job(w, "bat-run");
    expect(found).toMatchObject({ api: "v2", watch_id: watch.id, project_id: "prj-1", status: "running" });
    expect(found.tracking.state).toBe("active");
    expect((await job(w, "bjb-disp")).api).toBe("v1");
    // The usual first poll: a track snapshot and a job.tracked event per job.
    expect(await countRows("snapshots", "source = 'track'")).toBe(5);
    expect(await countRows("events", "type = 'job.tracked'")).toBe(5);

    const after = await watchOf(w, watch.id);
    expect(after.jobs_found).toBe(5);
    expect(after.last_error).toBeNull();
    expect(after.last_scan_at).not.toBeNull();
  });

  it("discovers only the generations it names", async () => {
    const w = world("v2-only");
    await seedProject(w);
    const watch = await createWatch(w, { project_id: "prj-1", apis: ["v2"] });
    await tick(w);
    expect(await jobsFoundBy(watch.id)).toEqual(["bat-run", "bat-wait"]);
    expect(await upstream(w).requestCount("", "list")).toBe(0);
  });

  it("leaves jobs tracked by hand alone: their watch_id stays null and they are not counted", async () => {
    const w = world("by-hand");
    await seedProject(w);
    await track(w, "bjb-run", { project_id: "prj-1" });
    const watch = await createWatch(w, { project_id: "prj-1" });
    await tick(w, Date.now() + 1000);
    expect((await job(w, "bjb-run")).watch_id).toBeNull();
    expect((await watchOf(w, watch.id)).jobs_found).toBe(4);
  });
  it("counts a job tracked by someone else between its polls and its write as existing, not found", async () => {
    const w = world("track-race");
    const sim = await seedProject(w);
    const watch = await createWatch(w, { project_id: "prj-1" });
    // The first D1 batch after bjb-run's tracking poll is the scan's write: just before it, a
    // concurrent POST /api/jobs inserts bjb-run (here as its row).
    let raced = false;
    const racing = new Proxy(env.DB, {
      get(target, key) {
        if (key === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            if (!raced && (await sim.requestCount("bjb-run", "status")) > 0) {
              raced = true;
              await insertJob({ jobId: "bjb-run", projectId: "prj-1" });
            }
            return target.batch(statements);
          };
        }
        const value: unknown = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });

    const result = await runTick({ ...w.env, DB: racing }, Date.now());
    expect(raced).toBe(true);
    expect(result.discovery.found).toBe(4);
    expect((await watchOf(w, watch.id)).jobs_found).toBe(4);
    expect(await jobsFoundBy(watch.id)).toEqual(ACTIVE_IN_PRJ_1.filter((id) => id !== "bjb-run"));
    // The scan's first poll of bjb-run wrote nothing: the lease it was to be written under never existed.
    expect((await job(w, "bjb-run")).watch_id).toBeNull();
    expect(await countRows("snapshots", "job_id = 'bjb-run'")).toBe(0);
    expect(await countRows("events", "job_id = 'bjb-run'")).toBe(0);
    expect(await countRows("events", "type = 'job.tracked'")).toBe(4);
  });
});

describe("later scans", () => {
  it("find every batch that appears in the project within two ticks, and not one twice", async () => {
    const w = world("later");
    const sim = await seedProject(w);
    const watch = await createWatch(w, { project_id: "prj-1" });
    const t0 = Date.now();
    await tick(w, t0);
    await sim.createJob({ id: "bjb-new", project_id: "prj-1" });
    await sim.createBatch({ id: "bat-new", project_id: "prj-1" });
    // A v2 batch that is over before anyone looks is still a batch that appeared.
    await sim.createBatch({ id: "bat-new-over", project_id: "prj-1" });
    await sim.advanceBatch("bat-new-over", { to: "end" });
    await sim.createBatch({ id: "bat-new-elsewhere", project_id: "prj-2" });

    // The next scan already finds them (the contract allows two ticks).
    const expected = [...ACTIVE_IN_PRJ_1, "bat-new", "bat-new-over", "bjb-new"].sort();
    await tick(w, t0 + MINUTE);
    expect(await jobsFoundBy(watch.id)).toEqual(expected);
    await tick(w, t0 + 2 * MINUTE);
    expect(await jobsFoundBy(watch.id)).toEqual(expected);
    expect((await watchOf(w, watch.id)).jobs_found).toBe(8);
    expect(await countRows("events", "type = 'job.tracked'")).toBe(8);

    // After the first pass, v2 asks only for batches created since the previous pass began (minus a
    // margin), whatever their status.
    const v2Lists = (await sim.requests({ endpoint: "batches" })).map((r) => r.query);
    expect(v2Lists.map((q) => q.status)).toEqual(["PENDING", "RUNNING", "THROTTLED", undefined, undefined]);
    const marks = v2Lists.slice(3).map((q) => Date.parse(q.created_at_on_or_after ?? "") + 10 * MINUTE);
    // Each pass begins at its tick's time (the tick's clock may run a moment past the time it is fired for).
    expect(marks[0]).toBeGreaterThanOrEqual(t0);
    expect(marks[0]).toBeLessThan(t0 + 5_000);
    expect(marks[1]).toBe(t0 + MINUTE);
  });

  it("scans about once a poll interval, not on every tick", async () => {
    const w = world("cadence");
    const sim = await seedProject(w);
    await createWatch(w, { project_id: "prj-1" });
    const t0 = Date.now();
    await tick(w, t0);
    const lists = (await sim.requests({ endpoint: "list" })).length;
    await tick(w, t0 + 20_000);
    expect((await sim.requests({ endpoint: "list" })).length).toBe(lists);
    await tick(w, t0 + MINUTE);
    expect((await sim.requests({ endpoint: "list" })).length).toBeGreaterThan(lists);
  });
});

describe("pagination", () => {
  it("follows v1 offsets and v2 page tokens over several scans until every batch is tracked once", async () => {
    const w = world("pages");
    const sim = upstream(w);
    const v1 = Array.from({ length: 130 }, (_, i) => `bjb-many-${String(i).padStart(3, "0")}`);
    const v2 = Array.from({ length: 110 }, (_, i) => `bat-many-${String(i).padStart(3, "0")}`);
    for (const id of v1) await sim.createJob({ id, project_id: "prj-big", start_at: "running" });
    for (const id of v2)
      await sim.createBatch({ id, project_id: "prj-big", start_at: "running", total_files: 1 });
    const watch = await createWatch(w, { project_id: "prj-big" });

    const t0 = Date.now();
    let ticks = 0;
    while ((await jobsFoundBy(watch.id)).length < v1.length + v2.length && ticks < 12) {
      await tick(w, t0 + ticks * MINUTE);
      ticks++;
    }
    expect(await jobsFoundBy(watch.id)).toEqual([...v2, ...v1].sort());
    // 50 new jobs a scan at most: five scans for 240 jobs, none tracked twice.
    expect(ticks).toBe(5);
    expect((await watchOf(w, watch.id)).jobs_found).toBe(240);
    expect(await countRows("events", "type = 'job.tracked'")).toBe(240);

    const v1Offsets = (await sim.requests({ endpoint: "list" }))
      .filter((r) => r.query.status === "running")
      .map((r) => r.query.offset);
    expect(v1Offsets).toContain("100");
    const tokens = (await sim.requests({ endpoint: "batches" })).filter((r) => r.query.page_token);
    expect(tokens.length).toBeGreaterThan(0);
  });
});

describe("deleted jobs", () => {
  it("are not tracked again by the watch, whoever had tracked them", async () => {
    const w = world("deleted");
    await seedProject(w);
    await track(w, "bjb-run", { project_id: "prj-1" });
    const watch = await createWatch(w, { project_id: "prj-1" });
    const t0 = Date.now();
    await tick(w, t0);
    expect((await admin(w, "/api/jobs/bat-run", { method: "DELETE" })).status).toBe(204);
    expect((await admin(w, "/api/jobs/bjb-run", { method: "DELETE" })).status).toBe(204);

    await tick(w, t0 + MINUTE);
    await tick(w, t0 + 2 * MINUTE);
    expect(await trackedIds()).toEqual(["bat-wait", "bjb-disp", "bjb-wait"]);
    expect((await watchOf(w, watch.id)).jobs_found).toBe(4);
    // Tracking one by hand again is still allowed.
    await track(w, "bat-run", { project_id: "prj-1" });
    expect((await job(w, "bat-run")).watch_id).toBeNull();
  });
});

describe("scan errors", () => {
  it("are recorded on the watch, backed off like polls, and cleared by the next good scan", async () => {
    const w = world("scan-errors");
    const sim = await seedProject(w);
    const watch = await createWatch(w, { project_id: "prj-1", apis: ["v1"] });
    await sim.fault({ kind: "server_error", status: 503, endpoint: "list", times: 2 });
    // Ahead of the clock, so each tick runs at exactly its scheduled time (a tick takes the later of
    // the two): a first tick a few ms late would push the backed-off scan past t0 + 1 min.
    const t0 = Date.now() + 1000;
    const lists = async () => (await sim.requests({ endpoint: "list" })).length;

    await tick(w, t0);
    let now = await watchOf(w, watch.id);
    expect(now.last_error).toMatchObject({ code: "server_error" });
    expect(now.last_scan_at).toBeNull();
    expect(await lists()).toBe(1);

    await tick(w, t0 + MINUTE); // one failure: due again after one interval
    expect(await lists()).toBe(2);
    await tick(w, t0 + 2 * MINUTE); // two in a row: two intervals, so not yet
    expect(await lists()).toBe(2);

    await tick(w, t0 + 3 * MINUTE);
    now = await watchOf(w, watch.id);
    expect(now.last_error).toBeNull();
    expect(now.last_scan_at).not.toBeNull();
    expect(await jobsFoundBy(watch.id)).toEqual(["bjb-disp", "bjb-run", "bjb-wait"]);
  });

  it("a 429 on a list pauses every request, polls included, until its Retry-After", async () => {
    const w = world("scan-429");
    const sim = await seedProject(w);
    await track(w, "bjb-elsewhere", { project_id: "prj-2" });
    const watch = await createWatch(w, { project_id: "prj-1", apis: ["v2"] });
    await sim.fault({ kind: "rate_limit", endpoint: "batches", retry_after: 300 });
    const t0 = Date.now();

    await tick(w, t0 + 1000);
    expect((await watchOf(w, watch.id)).last_error?.code).toBe("rate_limited");
    const polls = (await sim.statusRequests("bjb-elsewhere")).length;
    await tick(w, t0 + 2 * MINUTE);
    await tick(w, t0 + 4 * MINUTE);
    expect((await sim.statusRequests("bjb-elsewhere")).length).toBe(polls);
    expect(await sim.requestCount("", "batches")).toBe(1);

    await tick(w, t0 + 6 * MINUTE);
    expect(await jobsFoundBy(watch.id)).toEqual(["bat-run", "bat-wait"]);
    expect((await sim.statusRequests("bjb-elsewhere")).length).toBeGreaterThan(polls);
  });
});

describe("the budget rule", () => {
  it("with 200 due jobs and a watch, the polls take the tick's budget and the scan waits", async () => {
    const w = world("budget", { MAX_POLLS_PER_TICK: "200" });
    const sim = await seedProject(w);
    const now = Date.now();
    const ids = Array.from({ length: 200 }, (_, i) => `bjb-due-${i}`);
    for (const id of ids) await sim.createJob({ id, project_id: "prj-busy", start_at: "running" });
    await insertJobs(
      ids.map((jobId) => ({ jobId, projectId: "prj-busy", nextPollAt: now, status: "pending" })),
    );
    const watch = await createWatch(w, { project_id: "prj-1" });

    await tick(w, now);
    expect((await sim.statusRequests()).length).toBe(200);
    expect(await sim.requestCount("", "list")).toBe(0);
    expect(await sim.requestCount("", "batches")).toBe(0);
    expect((await watchOf(w, watch.id)).last_scan_at).toBeNull();

    // The polled jobs are not due for a while: the next tick's budget goes to the scan.
    await tick(w, now + 20_000);
    expect(await jobsFoundBy(watch.id)).toEqual(ACTIVE_IN_PRJ_1);
    expect((await sim.statusRequests()).filter((r) => r.job_id?.startsWith("bjb-due-"))).toHaveLength(200);
  });

  it("a scan stops where the budget ends and resumes there on the next tick", async () => {
    const w = world("budget-resume", { MAX_POLLS_PER_TICK: "4" });
    await seedProject(w);
    const watch = await createWatch(w, { project_id: "prj-1", apis: ["v1"] });
    const t0 = Date.now();
    await tick(w, t0);
    // Three list pages (pending, dispatched, running) and one tracking poll fit in 4 units.
    expect(await jobsFoundBy(watch.id)).toHaveLength(1);
    await tick(w, t0 + MINUTE);
    await tick(w, t0 + 2 * MINUTE);
    expect(await jobsFoundBy(watch.id)).toEqual(["bjb-disp", "bjb-run", "bjb-wait"]);
  });
});
