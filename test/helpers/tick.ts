// The cron tick and the test clock it runs on.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { JobRow } from "../../src/db/schema";
import worker from "../../src/index";
import { runTick } from "../../src/monitor/tick";
import type { World } from "./app";
import { insertJobs } from "./d1";
import { meterD1 } from "./d1-meter";
import { MINUTE } from "./time";

/** Runs the real scheduled handler as the cron would, for a given time. */
export async function tick(w: World, at: number = Date.now()): Promise<void> {
  await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: at }), w.env);
}

/**
 * Ticks this far apart find every active job due at each (one not backing off from errors): past the
 * longest quiet interval, MAX_QUIET_INTERVAL_SECONDS (10 minutes).
 */
export const TICK_GAP = 11 * MINUTE;

/** Runs one tick (runTick) with this world's bindings and D1 behind a meter: its result and the meter. */
export async function meteredTick(w: World, at: number) {
  const d1 = meterD1(env.DB);
  const result = await runTick({ ...w.env, DB: d1.db }, at);
  return { result, d1 };
}

/**
 * The start of a tick's cost: jobs due at `now`, each made upstream by `create` and stored as last
 * seen pending, so that a poll of each finds a change (`fields` for the rest, e.g. the API).
 */
export async function storeDueJobs(
  ids: string[],
  now: number,
  create: (id: string) => Promise<unknown>,
  fields: Partial<JobRow> = {},
): Promise<void> {
  for (const id of ids) await create(id);
  await insertJobs(
    ids.map((jobId) => ({ jobId, trackedAt: now, nextPollAt: now, status: "pending", ...fields })),
  );
}
