import { hc } from "hono/client";
import { beforeEach, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import type { AppType } from "../../src/index";
import { ADMIN, world } from "../helpers/app";
import { resetDatabase } from "../helpers/d1";
import { upstream } from "../helpers/upstream";

// The exported AppType gives TypeScript callers a typed client: these calls only compile if the
// routes, their inputs and their answers are typed end to end.
const w = world("typed-client");
const client = hc<AppType>("http://batchwatch.test", {
  headers: ADMIN,
  fetch: (input: RequestInfo | URL, init?: RequestInit) => app.request(input, init, w.env),
});

beforeEach(resetDatabase);

describe("typed client", () => {
  it("tracks, reads and lists a job with typed inputs and answers", async () => {
    await upstream(w).createJob({ id: "bjb-typed", total_items: 7, start_at: "running" });
    const created = await client.api.jobs.$post({ json: { job_id: "bjb-typed", label: "typed" } });
    expect(created.status).toBe(201);

    const one = await client.api.jobs[":job_id"].$get({ param: { job_id: "bjb-typed" } });
    if (one.status !== 200) throw new Error(`unexpected ${one.status}`);
    const { job } = await one.json();
    expect(job.total_items).toBe(7);
    expect(job.tracking.state).toBe("active");

    const list = await client.api.jobs.$get({ query: { limit: "10" } });
    if (list.status !== 200) throw new Error(`unexpected ${list.status}`);
    const page = await list.json();
    expect(page.jobs.map((j) => j.label)).toEqual(["typed"]);
    expect(page.next_cursor).toBeNull();
  });
});
