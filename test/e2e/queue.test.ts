// Polling through POLL_QUEUE end to end: a real `wrangler dev` running wrangler.toml's queue section
// (scripts/queue-config.ts), producer and consumer in the one Worker, polling the simulator over HTTP.

import { setTimeout as pause } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { JobJson } from "../../src/present/jobs";
import { eventually, useStack } from "./harness";

// A one-second base interval lets consecutive ticks poll the same job without waiting a minute.
const { stack, sim, api, tickWhenDue, jobs } = useStack({
  queue: true,
  vars: { POLL_INTERVAL_SECONDS: "1" },
});

const IDS = ["bjb-e2e-q-1", "bjb-e2e-q-2", "bjb-e2e-q-3"];

async function listed(): Promise<JobJson[]> {
  return (await jobs()).filter((j) => IDS.includes(j.id));
}

/** The JSON log lines wrangler dev printed for the Worker's events of `event`. */
function logged(event: string): Record<string, unknown>[] {
  const wrangler = stack().children.find((c) => c.name === "wrangler");
  return (wrangler?.output() ?? "")
    .split("\n")
    .filter((line) => line.includes(`"event":"${event}"`))
    .map((line) => JSON.parse(line.slice(line.indexOf("{"))) as Record<string, unknown>);
}

describe("polling through a queue under wrangler dev", () => {
  it("a tick sends the due jobs, the consumer polls them, /api/jobs shows the result", async () => {
    for (const id of IDS) {
      await sim().createJob({ id, mode: "manual", total_items: 20, items_per_step: 10, start_at: "running" });
      expect((await api("/api/jobs", { method: "POST", json: { job_id: id } })).status).toBe(201);
      await sim().advance(id);
    }
    await tickWhenDue();
    // The tick handed the three jobs off and polled none itself.
    const handoff = await eventually(async () => logged("tick")[0]);
    expect(handoff).toMatchObject({ due: 3, polled: 0 });
    const polled = await eventually(async () => {
      const jobs = await listed();
      return jobs.length === 3 && jobs.every((j) => j.processed_items === 10) ? jobs : undefined;
    });
    expect(polled.map((j) => j.tracking.state)).toEqual(["active", "active", "active"]);
    const consumed = await eventually(async () =>
      logged("queue_polls").length > 0 ? logged("queue_polls") : undefined,
    );
    expect(consumed.reduce((n, e) => n + Number(e.polled), 0)).toBe(3);
    for (const id of IDS) expect(await sim().requestCount(id, "status")).toBe(2);

    // To the end, and polling stops there.
    for (const id of IDS) await sim().advance(id, { to: "end" });
    await tickWhenDue();
    await eventually(async () => {
      const jobs = await listed();
      return jobs.every((j) => j.tracking.state === "finished") ? jobs : undefined;
    });
    await tickWhenDue();
    await pause(2_000);
    for (const id of IDS) expect(await sim().requestCount(id, "status")).toBe(3);
  });
});
