// POST /api/jobs choosing the batch API (by the id's prefix, or the body's `api`), the job JSON of a
// v2 batch (its fields mapped onto the job shape, lower-case status, batchwatch's own counts), and
// deleting a batch with its items; through the real app against the simulator.
import { beforeEach, describe, expect, it } from "vitest";
import { admin, client, expectError, expectJson, world } from "../helpers/app";
import { countRows, resetDatabase } from "../helpers/d1";
import { job, track, trackNewBatch, trackNewJob } from "../helpers/jobs";
import { upstream } from "../helpers/upstream";

describe("tracking v1 or v2", () => {
  beforeEach(resetDatabase);

  it("tracks bat- ids as v2 batches and shows them in the job shape", async () => {
    const w = world("api-v2");
    await upstream(w).createBatch({
      id: "bat-shape",
      total_files: 4,
      files_per_step: 4,
      unmappable_files: 1,
      start_at: "mapped",
      source_directory_id: "dir-7",
      extra: { priority: "high" },
    });
    const tracked = await track(w, "bat-shape", { label: "reports" });
    expect(tracked).toMatchObject({
      id: "bat-shape",
      api: "v2",
      job_type: "parse_v2",
      directory_id: "dir-7",
      total_items: 4,
      processed_items: 0,
      failed_items: 1,
      skipped_items: 0,
      progress_percentage: 25,
      error_message: null,
      completed_at: null,
      effective_at: null,
      job_record_id: null,
      started_at: null,
      workflow_id: null,
      label: "reports",
      watch_id: null,
      extra: { priority: "high" },
    });
    expect(tracked.status).toMatch(/^[a-z]+$/);
    expect(Date.parse(tracked.created_at ?? "")).not.toBeNaN();
    expect(Date.parse(tracked.updated_at ?? "")).not.toBeNaN();
    for (const field of ["config", "results", "source_directory_id", "status", "id"]) {
      expect(tracked.extra).not.toHaveProperty(field);
    }
    expect(await job(w, "bat-shape")).toEqual(tracked);
    expect(await countRows("items", "job_id = ?", "bat-shape")).toBe(4);
  });

  it("keeps other ids v1, and shows api and watch_id on them too", async () => {
    const w = world("api-v1");
    const plain = await trackNewJob(w, { id: "bjb-plain", start_at: "running" });
    expect(plain).toMatchObject({ api: "v1", watch_id: null, job_type: "parse" });
  });

  it("follows the body's api over the prefix", async () => {
    const w = world("api-named");
    const sim = upstream(w);
    await sim.createBatch({ id: "custom-batch-7", total_files: 2, start_at: "mapped" });
    expect(await track(w, "custom-batch-7", { api: "v2" })).toMatchObject({ api: "v2", total_items: 2 });
    expect((await upstream(w).requests({ job_id: "custom-batch-7", endpoint: "batch" })).length).toBe(1);

    // Named v1, a bat- id is looked up in v1 batch processing, which does not know it: nothing stored.
    await sim.createBatch({ id: "bat-as-v1", total_files: 2 });
    const refused = await client(w).api.jobs.$post({ json: { job_id: "bat-as-v1", api: "v1" } });
    await expectError(refused, 422, "upstream_not_found");
    expect(await upstream(w).requests({ job_id: "bat-as-v1", endpoint: "status" })).toHaveLength(1);
    expect(await countRows("jobs", "job_id = ?", "bat-as-v1")).toBe(0);

    // null counts as not given: the prefix decides.
    await sim.createBatch({ id: "bat-null-api", total_files: 1 });
    const tracked = await expectJson(
      admin(w, "/api/jobs", { method: "POST", json: { job_id: "bat-null-api", api: null } }),
      201,
    );
    expect(tracked).toMatchObject({ job: { api: "v2" } });
  });

  it.each([
    ["an unknown api", { job_id: "bat-x", api: "v3" }],
    ["an api that is not text", { job_id: "bat-x", api: 2 }],
    ["an api in capitals", { job_id: "bat-x", api: "V2" }],
  ])("refuses %s with 400 and stores nothing", async (_, body) => {
    const w = world("api-bad");
    const res = await admin(w, "/api/jobs", { method: "POST", json: body });
    const error = await expectError(res, 400, "validation_error");
    expect(error.message).toContain("api");
    expect(await countRows("jobs")).toBe(0);
    expect(await upstream(w).requests()).toEqual([]);
  });

  it("deletes a batch with its items", async () => {
    const w = world("api-delete");
    await trackNewBatch(w, { id: "bat-gone", total_files: 3, start_at: "mapped" });
    expect(await countRows("items", "job_id = ?", "bat-gone")).toBe(3);
    const res = await client(w).api.jobs[":job_id"].$delete({ param: { job_id: "bat-gone" } });
    expect(res.status).toBe(204);
    expect(await countRows("items", "job_id = ?", "bat-gone")).toBe(0);
  });
});
