// The cron tick and the test clock it runs on.
import { createScheduledController } from "cloudflare:test";
import worker from "../../src/index";
import type { World } from "./app";

/** Runs the real scheduled handler as the cron would, for a given time. */
export async function tick(w: World, at: number = Date.now()): Promise<void> {
  await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: at }), w.env);
}

export const MINUTE = 60_000;

/**
 * Ticks this far apart find every active job due at each (one not backing off from errors): past the
 * longest quiet interval, MAX_QUIET_INTERVAL_SECONDS (10 minutes).
 */
export const TICK_GAP = 11 * MINUTE;
