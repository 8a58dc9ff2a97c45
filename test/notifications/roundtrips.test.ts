// What one tick costs in D1 round trips with notifications in play: 100 due jobs and 100 pending
// deliveries, counted at the D1 binding (every batch and every lone statement is one trip).
import { beforeEach, describe, expect, it } from "vitest";
import { world } from "../helpers/app";
import { countRows, insertJobs, resetDatabase } from "../helpers/d1";
import { meteredTick } from "../helpers/tick";
import { upstream } from "../helpers/upstream";
import { pendingDeliveries, receiver, subscribe } from "./helpers";

const JOBS = 100;
const PENDING = 100;

async function setUp(label: string, opts: { jobsChange: boolean }) {
  const w = world(label);
  const sim = upstream(w);
  const r = receiver(label);
  const sub = await subscribe(w, { url: r.url() });
  const now = Date.now();
  const ids = Array.from({ length: JOBS }, (_, i) => `bjb-${label}-${i}`);
  for (const id of ids)
    await sim.createJob({ id, total_items: 100, items_per_step: 10, start_at: "running" });
  if (opts.jobsChange) for (const id of ids) await sim.advance(id);
  // The jobs as the monitor last saw them: running, nothing processed, due now.
  const upstreamAt = new Date(now - 60_000).toISOString();
  await insertJobs(
    ids.map((jobId) => ({
      jobId,
      processedItems: 0,
      failedItems: 0,
      skippedItems: 0,
      progressPercentage: 0,
      upstreamUpdatedAt: upstreamAt,
      trackedAt: now - 60_000,
      lastChangeAt: now - 60_000,
      nextPollAt: now,
    })),
  );
  await pendingDeliveries(sub.id, ids, PENDING, now, { tag: "old", type: "job.progressed" });
  return { w, r, now };
}

describe("tick cost with notifications", () => {
  beforeEach(resetDatabase);

  it.each([
    { label: "quiet", jobsChange: false, newEvents: 0 },
    { label: "moving", jobsChange: true, newEvents: JOBS },
  ])(
    "100 due jobs ($label) and 100 pending deliveries: a handful of round trips",
    { timeout: 60_000 },
    async ({ label, jobsChange, newEvents }) => {
      const { w, r, now } = await setUp(label, { jobsChange });
      const { result, d1: counted } = await meteredTick(w, now);
      expect(result.polled).toBe(JOBS);
      expect(result.changed).toBe(newEvents);
      expect(result.deliveries).toBe(PENDING + newEvents);
      expect(counted.trips()).toBe(result.roundTrips);
      console.log(
        `tick of ${JOBS} due jobs (${label}), ${PENDING} pending deliveries, ${newEvents} new events: ` +
          `${result.roundTrips} D1 round trips`,
      );
      expect(result.roundTrips).toBeLessThanOrEqual(6);
      expect(await r.requests()).toHaveLength(PENDING + newEvents);
      expect(await countRows("deliveries", "status = 'delivered'")).toBe(PENDING + newEvents);
      expect(await countRows("events", "type = 'job.progressed' and id not like 'evt_old_%'")).toBe(
        newEvents,
      );
    },
  );
});
