// Control routes for v1 jobs: create, list, show, patch, advance, delete (`/__sim/jobs…`).

import type { Hono } from "hono";
import { AdvanceBody, type ControlEnv, CreateJobBody, PatchJobBody } from "./control-inputs";
import { resourceRoutes } from "./control-resource";
import { advanceJob, createJob, OVERRIDABLE_FIELDS, patchJob, stepsToEnd, viewJob } from "./jobs";
import { DISPATCHED, RUNNING } from "./lifecycle";

export function jobControlRoutes(): Hono<ControlEnv> {
  return resourceRoutes({
    one: "job",
    many: "jobs",
    bodies: { create: CreateJobBody, patch: PatchJobBody, advance: AdvanceBody },
    in: (world) => world.jobs,
    view: viewJob,
    create(world, input) {
      const job = createJob(input, world.now(), world.settings.jobDefaults);
      world.jobs.set(job.id, job);
      world.announceNew(job);
      return job;
    },
    patch(job, input, nowMs) {
      const fields: Record<string, unknown> = {};
      const rest: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(input)) {
        if ((OVERRIDABLE_FIELDS as readonly string[]).includes(name)) fields[name] = value;
        else rest[name] = value;
      }
      patchJob(job, { ...rest, fields }, nowMs);
    },
    advance(world, job, input) {
      const target = { dispatched: DISPATCHED, running: RUNNING, end: Number.POSITIVE_INFINITY };
      const steps = input.to
        ? Math.min(stepsToEnd(job), target[input.to] - job.position)
        : (input.steps ?? 1);
      const change = advanceJob(job, steps, world.now());
      if (change) world.announce(change);
      return change;
    },
    remove: (world, job) => world.jobs.delete(job.id),
  });
}
