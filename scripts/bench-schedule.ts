// `npm run bench:schedule`: how cheap and how prompt polling is. A seeded simulation of 1,000 job
// lifecycles (queueing, steady progress, slow files, stalls, early ends; minutes to hours) is replayed
// in virtual time, no waiting and no network, through batchwatch's own decideOutcome, beside a fixed
// 60 s loop and the LlamaCloud SDK's loop (1 s growing by 1 s to 5 s). It prints, per policy, status
// requests per job-hour and the delay between the upstream end of a job and the policy seeing it
// (no callbacks). It asserts nothing; README "How polling works" shows the latest table.
//
//   npx tsx scripts/bench-schedule.ts [--jobs 1000] [--seed 13] [--interval 60]

import { parseArgs } from "node:util";
import { batchwatch, fixedInterval, type Replay, sdkLoop } from "./schedule-sim/policies";
import { KINDS, type Story, stories } from "./schedule-sim/stories";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "1000" },
    seed: { type: "string", default: "13" },
    interval: { type: "string", default: "60" },
  },
});
const JOBS = Number(values.jobs) || 1000;
const SEED = Number(values.seed) || 13;
const steady = { pollIntervalSeconds: Number(values.interval) || 60, stallAfterMinutes: 30 };
// The goal is measured on POLL_SCHEDULE=predictive; the default schedule is shown beside it.
const settings = { ...steady, pollSchedule: "predictive" as const };
const EPOCH = Date.parse("2026-12-01T00:00:00Z");
const HOUR = 3_600_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

interface Row {
  policy: string;
  perJobHour: number;
  p50: number;
  p95: number;
  max: number;
}

function summarise(policy: string, all: Story[], replays: Replay[]): Row {
  const hours = all.reduce((sum, story) => sum + (story.endAt - story.trackedAt) / HOUR, 0);
  const requests = replays.reduce((sum, replay) => sum + replay.requests, 0);
  const delays = replays.map((replay) => replay.delay / 1000).sort((a, b) => a - b);
  return {
    policy,
    perJobHour: requests / hours,
    p50: percentile(delays, 50),
    p95: percentile(delays, 95),
    max: percentile(delays, 100),
  };
}

function table(rows: Row[], first: string): string {
  const lines = [
    `| ${first} | requests / job-hour | end seen after: p50 | p95 | max |`,
    "|---|---:|---:|---:|---:|",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.policy} | ${row.perJobHour.toFixed(1)} | ${row.p50.toFixed(0)} s | ${row.p95.toFixed(0)} s | ${row.max.toFixed(0)} s |`,
    );
  }
  return lines.join("\n");
}

const all = stories(JOBS, SEED);
const mine = all.map((story) => batchwatch(story, settings, EPOCH));
const rows = [
  summarise(
    `batchwatch, POLL_SCHEDULE=predictive (POLL_INTERVAL_SECONDS=${settings.pollIntervalSeconds}, cron each minute)`,
    all,
    mine,
  ),
  summarise(
    "batchwatch, POLL_SCHEDULE=steady (the default)",
    all,
    all.map((story) => batchwatch(story, steady, EPOCH)),
  ),
  summarise(
    "fixed 60 s",
    all,
    all.map((story) => fixedInterval(story, 60)),
  ),
  summarise("LlamaCloud SDK loop (1 s +1 s to 5 s)", all, all.map(sdkLoop)),
];
const hours = all.reduce((sum, story) => sum + (story.endAt - story.trackedAt) / HOUR, 0);
console.log(`${JOBS} simulated jobs (seed ${SEED}), ${hours.toFixed(0)} job-hours watched\n`);
console.log(table(rows, "policy"));
const fixed = rows[2] as Row;
const ours = rows[0] as Row;
console.log(
  `\nbatchwatch (predictive): p95 ${ours.p95.toFixed(0)} s (goal ≤ 90 s) at ${((100 * ours.perJobHour) / fixed.perJobHour).toFixed(0)} % of fixed 60 s polling's requests (goal ≤ 33 %)\n`,
);

// The same goal on other seeds, so the rule is not tuned to one draw of stories.
const others = [1, 2, 3, 4, 5]
  .filter((seed) => seed !== SEED)
  .map((seed) => {
    const drawn = stories(JOBS, seed);
    const ours = summarise(
      "",
      drawn,
      drawn.map((story) => batchwatch(story, settings, EPOCH)),
    );
    const fixed = summarise(
      "",
      drawn,
      drawn.map((story) => fixedInterval(story, 60)),
    );
    return `seed ${seed}: p95 ${ours.p95.toFixed(0)} s at ${((100 * ours.perJobHour) / fixed.perJobHour).toFixed(0)} %`;
  });
console.log(`other seeds: ${others.join("; ")}\n`);

const byKind = KINDS.map((kind) => {
  const picked = all.map((story, i) => [story, mine[i] as Replay] as const).filter(([s]) => s.kind === kind);
  return summarise(
    `${kind} (${picked.length})`,
    picked.map(([s]) => s),
    picked.map(([, r]) => r),
  );
});
console.log(table(byKind, "batchwatch by kind of job"));
