// Tracked jobs through the API, as a user of batchwatch handles them.
import type { CreateBatchInput, CreateJobInput } from "../../sim/control-routes";
import { client, expectJson, type Job, type Snapshot, type TrackBody, type World } from "./app";
import { upstream } from "./upstream";

/** Tracks a job through the API (POST /api/jobs, which polls it once) and answers the new job. */
export async function track(w: World, jobId: string, body: Omit<TrackBody, "job_id"> = {}): Promise<Job> {
  return (await expectJson(client(w).api.jobs.$post({ json: { job_id: jobId, ...body } }), 201)).job;
}

/** The job as GET /api/jobs/:job_id answers it. */
export async function job(w: World, jobId: string): Promise<Job> {
  return (await expectJson(client(w).api.jobs[":job_id"].$get({ param: { job_id: jobId } }), 200)).job;
}

/** The job's snapshots, newest first (one page of up to 200). */
export async function history(w: World, jobId: string): Promise<Snapshot[]> {
  const answer = client(w).api.jobs[":job_id"].history.$get({
    param: { job_id: jobId },
    query: { limit: "200" },
  });
  return (await expectJson(answer, 200)).snapshots;
}

/** Polls a job now (POST /api/jobs/:job_id/poll), as an operator would. */
export function pollNow(w: World, jobId: string) {
  return client(w).api.jobs[":job_id"].poll.$post({ param: { job_id: jobId } });
}

/** An upstream job that is running: 100 items, 10 more done at each `advance`. */
export const RUNNING_JOB = { total_items: 100, items_per_step: 10, start_at: "running" } as const;

/** Creates a v1 job upstream (on the manual clock) as `input` describes it, and tracks it. */
export async function trackNewJob(
  w: World,
  input: CreateJobInput & { id: string },
  body: Omit<TrackBody, "job_id"> = {},
): Promise<Job> {
  await upstream(w).createJob(input);
  return track(w, input.id, body);
}

/** Creates a v2 batch upstream as `input` describes it, and tracks it. */
export async function trackNewBatch(w: World, input: CreateBatchInput & { id: string }): Promise<Job> {
  await upstream(w).createBatch(input);
  return track(w, input.id);
}

/** Creates a running job upstream and tracks it. */
export async function trackRunning(w: World, jobId: string, body: Omit<TrackBody, "job_id"> = {}) {
  return trackNewJob(w, { id: jobId, ...RUNNING_JOB }, body);
}
