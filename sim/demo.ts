// Demo jobs and batches for `npm start` and manual exploration: one per lifecycle, all in realtime
// mode, with fixed ids so scripts can track them without asking the simulator first.

import { createBatch, type NewBatch } from "./batches";
import { createJob, type NewJob } from "./jobs";
import type { World } from "./world";

export const DEMO_JOBS: readonly NewJob[] = [
  // Runs to the end; a few items fail or are skipped on the way.
  { id: "bjb-demo-completes", job_type: "parse", total_items: 40, failed_every: 9, skipped_every: 13 },
  // Fails part-way with an error message.
  {
    id: "bjb-demo-fails",
    job_type: "extract",
    total_items: 30,
    scenario: "fails",
    stop_at: 12,
    failed_every: 4,
  },
  // Gets cancelled part-way (as if someone called the cancel endpoint).
  { id: "bjb-demo-cancelled", job_type: "classify", total_items: 50, scenario: "cancelled", stop_at: 20 },
  // Stops making progress while `running`, forever.
  { id: "bjb-demo-stalls", job_type: "parse", total_items: 60, scenario: "stalls", stop_at: 8 },
  // A big one that keeps moving for a long while.
  { id: "bjb-demo-large", job_type: "parse", total_items: 600, items_per_step: 2, failed_every: 50 },
  // Waits in `pending` for a minute before it starts.
  { id: "bjb-demo-queued", job_type: "extract", total_items: 20, pending_ms: 60_000 },
  // Already over before anyone looked.
  { id: "bjb-demo-done", job_type: "classify", total_items: 12, start_at: "end", skipped_every: 5 },
];

/** Adds the demo jobs to a tenant (replacing earlier ones with the same ids); returns their ids. */
export function seedDemoJobs(world: World): string[] {
  return DEMO_JOBS.map((spec) => addJob(world, spec));
}

/** v2 batches (at the default speed of 1 file a second), so a v2 progress bar moves and failed files show. */
export const DEMO_BATCHES: readonly NewBatch[] = [
  // 120 files over about two minutes: 9 parse jobs fail, 2 files cannot be mapped at all.
  { id: "bat-demo-files", total_files: 120, failed_children: 9, unmappable_files: 2, files_per_step: 2 },
  // Extract jobs; the batch is THROTTLED for about 40 s after its first 10 files.
  {
    id: "bat-demo-throttled",
    job_type: "extract_v2",
    total_files: 30,
    failed_children: 2,
    throttle_after_files: 10,
    throttled_steps: 40,
  },
  // COMPLETED once its 20 files are mapped (after about 20 s); its jobs run on for 40 s more.
  {
    id: "bat-demo-early",
    total_files: 20,
    files_per_step: 4,
    child_steps: 10,
    completes_before_children: true,
  },
];

/** Adds the demo batches to a tenant (replacing earlier ones with the same ids); returns their ids. */
export function seedDemoBatches(world: World): string[] {
  return DEMO_BATCHES.map((spec) => addBatch(world, spec));
}

/**
 * The project `npm start` watches: batches of both generations nobody tracks by hand, so batchwatch
 * has to discover them. The first scan takes the four that are still running or waiting and leaves
 * the two that are over; new ones appear over time (`startDemoBatch`).
 */
export const WATCHED_PROJECT_ID = "prj-demo-watched";

export const WATCHED_JOBS: readonly NewJob[] = [
  { id: "bjb-watched-running", job_type: "parse", total_items: 90, failed_every: 15 },
  { id: "bjb-watched-queued", job_type: "extract", total_items: 25, pending_ms: 90_000 },
  { id: "bjb-watched-done", job_type: "parse", total_items: 8, start_at: "end" },
];

export const WATCHED_BATCHES: readonly NewBatch[] = [
  { id: "bat-watched-running", total_files: 60, failed_children: 3, files_per_step: 2 },
  { id: "bat-watched-extract", job_type: "extract_v2", total_files: 20, pending_ms: 45_000 },
  { id: "bat-watched-done", total_files: 6, start_at: "end" },
];

/** Adds the watched project's batches to a tenant (replacing earlier ones); returns their ids. */
export function seedWatchedProject(world: World): string[] {
  const jobs = WATCHED_JOBS.map((spec) => addJob(world, { ...spec, project_id: WATCHED_PROJECT_ID }));
  const batches = WATCHED_BATCHES.map((spec) => addBatch(world, { ...spec, project_id: WATCHED_PROJECT_ID }));
  return [...jobs, ...batches];
}

/** Ids of the batches started over time: `bjb-demo-new-N` (v1) and `bat-demo-new-N` (v2). */
const NEW_BATCH = /^(?:bjb|bat)-demo-new-(\d+)$/;

/**
 * Starts the next batch in a project (the watched demo project unless told otherwise), in realtime:
 * v1 and v2 take turns unless `api` names one. Returns what was started.
 */
export function startDemoBatch(
  world: World,
  opts: { api?: "v1" | "v2"; projectId?: string } = {},
): { id: string; api: "v1" | "v2"; project_id: string } {
  const started = [...world.jobs.keys(), ...world.batches.keys()].filter((id) => NEW_BATCH.test(id));
  const n = Math.max(0, ...started.map((id) => Number(NEW_BATCH.exec(id)?.[1]))) + 1;
  const api = opts.api ?? (n % 2 === 1 ? "v2" : "v1");
  const projectId = opts.projectId ?? WATCHED_PROJECT_ID;
  const id =
    api === "v1"
      ? addJob(world, { id: `bjb-demo-new-${n}`, project_id: projectId, total_items: 30, failed_every: 10 })
      : addBatch(world, {
          id: `bat-demo-new-${n}`,
          project_id: projectId,
          total_files: 24,
          failed_children: 2,
        });
  return { id, api, project_id: projectId };
}

function addJob(world: World, spec: NewJob): string {
  const job = createJob({ mode: "realtime", ...spec }, world.now(), world.settings.jobDefaults);
  world.jobs.set(job.id, job);
  world.announceNew(job);
  return job.id;
}

function addBatch(world: World, spec: NewBatch): string {
  const earlier = spec.id ? world.batches.get(spec.id) : undefined;
  if (earlier) world.deleteBatch(earlier);
  const batch = createBatch({ mode: "realtime", ...spec }, world.now(), world.settings.jobDefaults);
  world.addBatch(batch);
  world.announceNewBatch(batch);
  return batch.id;
}
