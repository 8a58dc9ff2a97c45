// Control routes for v1 jobs: create, list, show, patch, advance, delete (`/__sim/jobs…`).

import { type Context, Hono } from "hono";
import { AdvanceBody, body, type ControlEnv, CreateJobBody, PatchJobBody } from "./control-inputs";
import { advanceJob, createJob, OVERRIDABLE_FIELDS, patchJob, stepsToEnd, viewJob } from "./jobs";
import { DISPATCHED, RUNNING } from "./lifecycle";
import type { SimJob } from "./model";

export function jobControlRoutes(): Hono<ControlEnv> {
  const app = new Hono<ControlEnv>();

  const findJob = (c: Context<ControlEnv>): SimJob | Response => {
    const job = c.var.world.jobs.get(c.req.param("id") ?? "");
    return job ?? c.json({ detail: "No such simulated job" }, 404);
  };

  app.post("/__sim/jobs", async (c) => {
    const { world } = c.var;
    const input = await body(c, CreateJobBody);
    if (input.id && world.jobs.has(input.id))
      return c.json({ detail: `Job ${input.id} already exists` }, 409);
    const job = createJob(input, world.now(), world.settings.jobDefaults);
    world.jobs.set(job.id, job);
    world.announceNew(job);
    await world.flush();
    return c.json({ job: viewJob(job) }, 201);
  });

  app.get("/__sim/jobs", (c) => c.json({ jobs: [...c.var.world.jobs.values()].map(viewJob) }));

  app.get("/__sim/jobs/:id", (c) => {
    const job = findJob(c);
    return job instanceof Response ? job : c.json({ job: viewJob(job) });
  });

  app.patch("/__sim/jobs/:id", async (c) => {
    const job = findJob(c);
    if (job instanceof Response) return job;
    const { world } = c.var;
    const input = await body(c, PatchJobBody);
    const fields: Record<string, unknown> = {};
    const rest: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(input)) {
      if ((OVERRIDABLE_FIELDS as readonly string[]).includes(name)) fields[name] = value;
      else rest[name] = value;
    }
    patchJob(job, { ...rest, fields }, world.now());
    return c.json({ job: viewJob(job) });
  });

  app.post("/__sim/jobs/:id/advance", async (c) => {
    const job = findJob(c);
    if (job instanceof Response) return job;
    const { world } = c.var;
    const input = await body(c, AdvanceBody);
    const target = { dispatched: DISPATCHED, running: RUNNING, end: Number.POSITIVE_INFINITY };
    const steps = input.to ? Math.min(stepsToEnd(job), target[input.to] - job.position) : (input.steps ?? 1);
    const change = advanceJob(job, steps, world.now());
    if (change) world.announce(change);
    await world.flush();
    return c.json({ job: viewJob(job), changes: change ? [change] : [] });
  });

  app.delete("/__sim/jobs/:id", (c) => {
    const job = findJob(c);
    if (job instanceof Response) return job;
    c.var.world.jobs.delete(job.id);
    return c.json({ deleted: job.id });
  });

  return app;
}
