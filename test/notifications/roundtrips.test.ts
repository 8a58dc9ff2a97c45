// What one tick costs in D1 round trips with notifications in play: 100 due jobs and 100 pending
// deliveries, counted at the D1 binding (every batch and every lone statement is one trip).
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { runTick } from "../../src/monitor/tick";
import { world } from "../helpers/app";
import { countRows, insertJobs, resetDatabase } from "../helpers/d1";
import { meterD1 } from "../helpers/d1-meter";
import { upstream } from "../helpers/upstream";
import { receiver, subscribe } from "./helpers";

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
  // Deliveries whose earlier attempts failed and whose retry is due.
  const pending = Array.from({ length: PENDING }, (_, i) => i);
  await env.DB.batch(
    pending.flatMap((i) => [
      env.DB.prepare(
        "insert into events (id, type, job_id, created_at, payload) values (?, 'job.progressed', ?, ?, ?)",
      ).bind(`evt_old_${i}`, ids[i % JOBS], now - 120_000, JSON.stringify({ type: "job.progressed", n: i })),
      env.DB.prepare(
        `insert into deliveries (id, event_id, subscription_id, status, attempts, next_attempt_at, created_at)
         values (?, ?, ?, 'pending', 1, ?, ?)`,
      ).bind(`msg_old_${i}`, `evt_old_${i}`, sub.id, now - 1_000, now - 120_000),
    ]),
  );
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
      const counted = meterD1(env.DB);
      const result = await runTick({ ...w.env, DB: counted.db }, now);
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
