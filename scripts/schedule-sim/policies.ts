// The three polling policies `npm run bench:schedule` compares, each replayed over a Story in virtual
// time: batchwatch through its own decideOutcome (what ships), a fixed 60 s loop, and the LlamaCloud
// SDK's own loop. Each returns how many status requests it made and when it saw the end.

import { NO_OBSERVATION } from "../../src/model";
import { decideOutcome, type MonitorSettings, type TrackedJob } from "../../src/monitor/decisions";
import { observe, type Story } from "./stories";

export interface Replay {
  requests: number;
  /** ms from the upstream end to the poll that saw it. */
  delay: number;
}

const SECOND = 1000;
const TICK = 60 * SECOND;

/** Polls at `trackedAt + k × every` until one sees the end. */
export function fixedInterval(story: Story, everySeconds: number): Replay {
  const every = everySeconds * SECOND;
  const k = Math.ceil((story.endAt - story.trackedAt) / every);
  return { requests: k + 1, delay: story.trackedAt + k * every - story.endAt };
}

/** The SDK's wait between polls: 1 s, growing by 1 s a poll, up to 5 s. */
export function sdkLoop(story: Story): Replay {
  let at = story.trackedAt;
  let wait = 1;
  let requests = 1;
  while (at < story.endAt) {
    at += wait * SECOND;
    wait = Math.min(wait + 1, 5);
    requests++;
  }
  return { requests, delay: at - story.endAt };
}

/**
 * batchwatch: tracking polls at once; later polls run in the first cron tick (every whole minute) at
 * or after the job's `nextPollAt`, and each answer goes through decideOutcome as a real tick applies
 * it. No errors or 429s: the upstream always answers, so only the interval rule is measured.
 */
export function batchwatch(story: Story, settings: MonitorSettings, epoch: number): Replay {
  let job: TrackedJob = {
    ...NO_OBSERVATION,
    state: "active",
    pollIntervalSeconds: settings.pollIntervalSeconds,
    consecutiveFailures: 0,
    consecutiveNotFound: 0,
    lastChangeAt: null,
    stalledSince: null,
    trackedAt: epoch + story.trackedAt,
    terminalSeenAt: null,
  };
  let at = story.trackedAt;
  let requests = 0;
  for (;;) {
    requests++;
    const observation = observe(story, at, epoch);
    const settled = at >= story.endAt;
    const now = epoch + at;
    const { changes } = decideOutcome(
      job,
      { ok: true, answer: { observation, settled, jobType: "parse", upstreamJob: "{}" } },
      now,
      settings,
    );
    if (changes.state !== "active" || changes.nextPollAt === null) {
      if (!settled) throw new Error(`${story.id}: polling stopped before the end`);
      return { requests, delay: at - story.endAt };
    }
    job = {
      ...job,
      ...(changes.upstream?.observation ?? {}),
      state: changes.state,
      pollIntervalSeconds: changes.pollIntervalSeconds,
      consecutiveFailures: changes.consecutiveFailures,
      consecutiveNotFound: changes.consecutiveNotFound,
      lastChangeAt: changes.lastChangeAt ?? job.lastChangeAt,
      stalledSince: changes.stalledSince,
      terminalSeenAt: changes.terminalSeenAt ?? null,
    };
    const due = changes.nextPollAt - epoch;
    // The tick runs at whole minutes of the epoch; a job due between ticks waits for the next one.
    at = Math.max(at + 1, Math.ceil(due / TICK) * TICK);
  }
}
