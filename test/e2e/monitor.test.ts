// The monitor end to end: a real `wrangler dev` process polling the simulator over real HTTP.

import { describe, expect, it } from "vitest";
import type { JobJson, SnapshotJson } from "../../src/present/jobs";
import { eventually, useStack } from "./harness";

// A one-second base interval lets consecutive ticks poll the same job without waiting a minute.
const { stack, sim, api, tickWhenDue } = useStack({ vars: { POLL_INTERVAL_SECONDS: "1" } });

async function job(id: string): Promise<JobJson> {
  const res = await api(`/api/jobs/${id}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { job: JobJson }).job;
}

async function history(id: string): Promise<SnapshotJson[]> {
  const res = await api(`/api/jobs/${id}/history?limit=200`);
  return ((await res.json()) as { snapshots: SnapshotJson[] }).snapshots;
}

describe("batchwatch under wrangler dev", () => {
  it("tracks a job, follows it across ticks and stops at the end", async () => {
    await sim().createJob({
      id: "bjb-e2e-1",
      mode: "manual",
      total_items: 30,
      items_per_step: 10,
      start_at: "running",
    });
    const tracked = await api("/api/jobs", { method: "POST", json: { job_id: "bjb-e2e-1", label: "e2e" } });
    expect(tracked.status).toBe(201);

    await sim().advance("bjb-e2e-1");
    await tickWhenDue();
    expect((await job("bjb-e2e-1")).processed_items).toBe(10);

    await sim().advance("bjb-e2e-1", { to: "end" });
    await tickWhenDue();
    const done = await job("bjb-e2e-1");
    expect(done.status).toBe("completed");
    expect(done.tracking.state).toBe("finished");

    const snapshots = await history("bjb-e2e-1");
    expect(snapshots.map((s) => s.source)).toEqual(["poll", "poll", "track"]);
    expect(snapshots[0]?.processed_items).toBe(30);

    const calls = await sim().requestCount("bjb-e2e-1", "status");
    await tickWhenDue();
    await tickWhenDue();
    expect(await sim().requestCount("bjb-e2e-1", "status")).toBe(calls);
  });

  it("records an upstream fault and recovers from it", async () => {
    await sim().createJob({
      id: "bjb-e2e-2",
      mode: "manual",
      total_items: 20,
      items_per_step: 5,
      start_at: "running",
    });
    expect((await api("/api/jobs", { method: "POST", json: { job_id: "bjb-e2e-2" } })).status).toBe(201);

    await sim().injectFault({ kind: "server_error", status: 503, job_id: "bjb-e2e-2", times: 1 });
    await tickWhenDue();
    const failing = await job("bjb-e2e-2");
    expect(failing.tracking.last_error?.code).toBe("server_error");
    expect(failing.tracking.consecutive_failures).toBe(1);

    await sim().advance("bjb-e2e-2");
    // The backoff after one failure is one base interval.
    const recovered = await eventually(async () => {
      await tickWhenDue();
      const now = await job("bjb-e2e-2");
      return now.tracking.last_error === null ? now : undefined;
    });
    expect(recovered.processed_items).toBe(5);
    expect(recovered.tracking.consecutive_failures).toBe(0);
  });

  it("serves health and the OpenAPI document", async () => {
    const health = (await (await fetch(`${stack().url}/healthz`)).json()) as {
      ok: boolean;
      last_tick_at: string;
    };
    expect(health.ok).toBe(true);
    expect(health.last_tick_at).not.toBeNull();
    const doc = (await (await fetch(`${stack().url}/openapi.json`)).json()) as { paths: object };
    expect(Object.keys(doc.paths)).toContain("/api/jobs/{job_id}/history");
  });
});
