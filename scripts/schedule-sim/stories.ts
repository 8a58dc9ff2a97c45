// Seeded job lifecycles for `npm run bench:schedule`: what LlamaCloud would answer about a batch job
// at any moment of its life, from queueing to its end. The same seed gives the same 1,000 stories, so
// the figures in the README can be reproduced exactly.

import type { Observation } from "../../src/model";

/** The shapes of life a job can have; the benchmark reports each beside the whole. */
export const KINDS = ["steady", "slow_files", "stall", "long_queue", "speeds_up", "ends_early"] as const;
export type Kind = (typeof KINDS)[number];
const WEIGHTS: Record<Kind, number> = {
  steady: 0.45,
  slow_files: 0.2,
  stall: 0.1,
  long_queue: 0.1,
  speeds_up: 0.08,
  ends_early: 0.07,
};

export interface Story {
  id: string;
  kind: Kind;
  /** When batchwatch (or any poller) starts watching, ms of virtual time. */
  trackedAt: number;
  /** When the job leaves the queue and starts counting. */
  startAt: number;
  /** When the upstream status becomes terminal: the moment every policy is trying to notice. */
  endAt: number;
  endStatus: "completed" | "failed" | "cancelled";
  total: number;
  /** When each finished item was counted, ascending, and whether it counted as failed. */
  doneAt: number[];
  failed: boolean[];
}

/** mulberry32: small, fast and seedable, which is all a reproducible simulation needs. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

function pick(rand: () => number): Kind {
  let u = rand();
  for (const kind of KINDS) {
    u -= WEIGHTS[kind];
    if (u < 0) return kind;
  }
  return "steady";
}

const logUniform = (rand: () => number, lo: number, hi: number) => lo * (hi / lo) ** rand();
const uniform = (rand: () => number, lo: number, hi: number) => lo + (hi - lo) * rand();
const exponential = (rand: () => number, mean: number) => -mean * Math.log(1 - rand());

/** One job's life. Running time from 3 minutes to 6 hours, 2 to 5,000 files. */
function story(index: number, rand: () => number): Story {
  const kind = pick(rand);
  const createdAt = uniform(rand, 0, HOUR);
  const trackedAt = createdAt + uniform(rand, 5 * SECOND, MINUTE);
  const queued =
    kind === "long_queue" ? uniform(rand, 20 * MINUTE, 3 * HOUR) : exponential(rand, 90 * SECOND);
  const startAt = createdAt + queued;
  const running = logUniform(rand, 3 * MINUTE, 6 * HOUR);
  // Files are counted every 1 s to 2 min on average (a small job of big files, a large one of small
  // files, concurrency upstream): a job's length comes from its files, so no 2-file job takes hours.
  const pace = logUniform(rand, SECOND, 2 * MINUTE);
  const total = Math.min(5_000, Math.max(2, Math.round(running / pace)));
  const failRate = rand() < 0.3 ? uniform(rand, 0, 0.1) : 0;
  // Gaps between counted files: exponential around the mean, so counts move in uneven steps.
  const mean = running / total;
  const gaps: number[] = [];
  for (let i = 0; i < total; i++) gaps.push(exponential(rand, mean));
  if (kind === "slow_files") {
    // A few files take 2 to 30 minutes more than the others (large scans, retries upstream): a time of
    // their own, not a multiple of the mean, which would turn a 6-hour job of 3 files into days.
    const slow = () => uniform(rand, 2 * MINUTE, 30 * MINUTE);
    for (let i = 0; i < total; i++) if (rand() < 0.04) gaps[i] = (gaps[i] ?? 0) + slow();
    // And one of them is often the last, the case that fools a prediction most.
    if (rand() < 0.5) gaps[total - 1] = (gaps[total - 1] ?? 0) + slow();
  }
  if (kind === "stall") {
    // Nothing moves for 10 to 90 minutes somewhere after the first tenth, sometimes before the last file.
    const at = Math.min(total - 1, Math.floor(uniform(rand, 0.1, 1.05) * total));
    gaps[at] = (gaps[at] ?? 0) + uniform(rand, 10 * MINUTE, 90 * MINUTE);
  }
  if (kind === "speeds_up") {
    // A slow first third (workers warming up), then three times faster: early rates overestimate the end.
    for (let i = 0; i < Math.floor(total / 3); i++) gaps[i] = (gaps[i] ?? 0) * 3;
  }
  const doneAt: number[] = [];
  const failed: boolean[] = [];
  let t = startAt;
  for (const gap of gaps) {
    t += gap;
    doneAt.push(t);
    failed.push(rand() < failRate);
  }
  let endAt = t + uniform(rand, SECOND, 30 * SECOND);
  let endStatus: Story["endStatus"] = failRate > 0.08 ? "failed" : "completed";
  if (kind === "ends_early") {
    // Cancelled or failed without warning: a third while still queued, the rest part way through.
    endAt = rand() < 0.33 ? uniform(rand, createdAt, startAt) : uniform(rand, startAt, t);
    endStatus = rand() < 0.5 ? "cancelled" : "failed";
  }
  endAt = Math.max(endAt, trackedAt + SECOND);
  const kept = doneAt.filter((at) => at <= endAt).length;
  return {
    id: `bjb-sim-${String(index).padStart(4, "0")}`,
    kind,
    trackedAt,
    startAt,
    endAt,
    endStatus,
    total,
    doneAt: doneAt.slice(0, kept),
    failed: failed.slice(0, kept),
  };
}

export function stories(count: number, seed: number): Story[] {
  const rand = random(seed);
  return Array.from({ length: count }, (_, i) => story(i, rand));
}

/** Items counted by `at`: binary search over the ascending completion times. */
function countedBy(story: Story, at: number): number {
  let lo = 0;
  let hi = story.doneAt.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((story.doneAt[mid] as number) <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What a v1 status request answers at `at` (virtual ms since `epoch`). */
export function observe(story: Story, at: number, epoch: number): Observation {
  const queued = at < story.startAt && at < story.endAt;
  const ended = at >= story.endAt;
  const done = countedBy(story, at);
  let failedItems = 0;
  for (let i = 0; i < done; i++) if (story.failed[i]) failedItems++;
  const started = at >= story.startAt ? story.startAt : 0;
  const lastEvent = ended ? story.endAt : done > 0 ? (story.doneAt[done - 1] as number) : started;
  return {
    status: ended ? story.endStatus : queued ? "pending" : "running",
    totalItems: story.total,
    processedItems: done - failedItems,
    failedItems,
    skippedItems: 0,
    progressPercentage: Math.floor((100 * done) / story.total),
    errorMessage: ended && story.endStatus === "failed" ? "simulated failure" : null,
    upstreamUpdatedAt: new Date(epoch + lastEvent).toISOString(),
  };
}
