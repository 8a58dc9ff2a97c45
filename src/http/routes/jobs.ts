import { z } from "@hono/zod-openapi";
import { deleteJob, findJob, listJobs, listSnapshots } from "../../db/jobs";
import { APIS, apiOfJobId } from "../../model";
import { pollOne, routeBudget } from "../../monitor/poll";
import { trackJob } from "../../monitor/track";
import { firstAttempts } from "../../notifications/background";
import { jobSchema, presentJob, presentSnapshot, snapshotSchema } from "../../present/jobs";
import { afterAnswer } from "../context";
import { decodeCursor, decodeNumberCursor } from "../cursor";
import { ApiError } from "../errors";
import { emptyAsMissing, idInput, labelInput, optionalInput } from "../inputs";
import { PAGE_QUERY, pageAnswer, pageAt, pageContent } from "../lists";
import { DELETED, errorAnswer, jsonContent, readRoute, router, writeRoute } from "../openapi";
import { JOB_FILTERS, jobIdParam as jobIdParamFor, NOT_TRACKED, notTracked } from "../tracked-jobs";

const id = idInput;
const jobIdParam = jobIdParamFor("bjb-0f4c2e");

const trackBody = z
  .object({
    job_id: id,
    project_id: optionalInput(id),
    organization_id: optionalInput(id),
    label: optionalInput(labelInput),
    api: optionalInput(z.enum(APIS)).openapi({
      description: "The batch API the job belongs to; by default v2 for ids starting bat-, else v1.",
    }),
  })
  .strict();

const jobAnswer = z.object({ job: jobSchema });

export const jobRoutes = router()
  .openapi(
    writeRoute({
      method: "post",
      path: "/api/jobs",
      operationId: "trackJob",
      summary: "Track a LlamaCloud batch job (polls it once inline)",
      request: { body: { content: { "application/json": { schema: trackBody } }, required: true } },
      responses: {
        201: jsonContent(jobAnswer, "Now tracked"),
        200: jsonContent(jobAnswer, "Already tracked"),
        422: errorAnswer("LlamaCloud does not know the job"),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const now = Date.now();
      const budget = routeBudget(c.var.config);
      const result = await trackJob(
        c.var.db,
        c.var.config,
        {
          jobId: body.job_id,
          projectId: body.project_id ?? null,
          organizationId: body.organization_id ?? null,
          label: body.label ?? null,
          api: body.api ?? apiOfJobId(body.job_id),
        },
        now,
        budget,
      );
      if (result.kind === "upstream_not_found") throw new ApiError("upstream_not_found", result.message);
      if (result.kind === "existing") return c.json({ job: presentJob(result.row) }, 200);
      // The tracking poll's events (job.tracked at least) get their first attempt after the answer.
      firstAttempts(afterAnswer(c), body.job_id, now, budget);
      return c.json({ job: presentJob(result.row) }, 201);
    },
  )
  .openapi(
    readRoute({
      method: "get",
      path: "/api/jobs",
      operationId: "listJobs",
      summary: "List tracked jobs, newest first",
      request: {
        query: z.object({ ...JOB_FILTERS, ...PAGE_QUERY }),
      },
      responses: {
        200: pageContent("jobs", jobSchema),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = await listJobs(c.var.db, {
        status: query.status,
        state: query.state,
        ...pageAt(query, decodeCursor),
      });
      return c.json(pageAnswer("jobs", page, presentJob), 200);
    },
  )
  .openapi(
    readRoute({
      method: "get",
      path: "/api/jobs/{job_id}",
      operationId: "getJob",
      summary: "One tracked job",
      request: { params: jobIdParam },
      responses: {
        200: jsonContent(jobAnswer, "The job"),
        ...NOT_TRACKED,
      },
    }),
    async (c) => {
      const { job_id } = c.req.valid("param");
      const row = await findJob(c.var.db, job_id);
      if (!row) notTracked(job_id);
      return c.json({ job: presentJob(row) }, 200);
    },
  )
  .openapi(
    writeRoute({
      method: "delete",
      path: "/api/jobs/{job_id}",
      operationId: "untrackJob",
      summary: "Stop tracking a job and delete its history",
      request: { params: jobIdParam },
      responses: {
        ...DELETED,
        ...NOT_TRACKED,
      },
    }),
    async (c) => {
      const { job_id } = c.req.valid("param");
      if (!(await deleteJob(c.var.db, job_id))) notTracked(job_id);
      return c.body(null, 204);
    },
  )
  .openapi(
    writeRoute({
      method: "post",
      path: "/api/jobs/{job_id}/poll",
      operationId: "pollJob",
      summary: "Poll a job now",
      request: { params: jobIdParam },
      responses: {
        200: jsonContent(jobAnswer, "The job after the poll"),
        ...NOT_TRACKED,
        409: errorAnswer("Another poll of this job is in flight"),
        422: errorAnswer("LlamaCloud answered 404 (recorded in tracking.last_error)"),
        502: errorAnswer("LlamaCloud failed or is rate limiting (recorded in tracking.last_error)"),
      },
    }),
    async (c) => {
      const { job_id } = c.req.valid("param");
      const now = Date.now();
      const budget = routeBudget(c.var.config);
      const result = await pollOne(c.var.db, c.var.config, job_id, { source: "manual", now, budget });
      if (result.kind === "not_found") notTracked(job_id);
      if (result.kind === "busy") {
        throw new ApiError("conflict", "This job is being polled right now; try again in a few seconds.");
      }
      // Whatever the poll raised (a failed poll can raise job.poll_failing) is sent after the answer.
      firstAttempts(afterAnswer(c), job_id, now, budget);
      // The failure is already recorded on the job (tracking.last_error); the answer says so too.
      const failure = result.outcome.failure;
      if (failure !== null) {
        const detail = result.row.lastErrorMessage ?? "LlamaCloud could not be polled.";
        if (failure === "not_configured") throw new ApiError("not_configured", detail);
        if (failure === "not_found") throw new ApiError("upstream_not_found", detail);
        throw new ApiError("upstream_error", `The poll failed: ${detail}`);
      }
      return c.json({ job: presentJob(result.row) }, 200);
    },
  )
  .openapi(
    readRoute({
      method: "get",
      path: "/api/jobs/{job_id}/history",
      operationId: "listJobHistory",
      summary: "A job's snapshots, newest first",
      request: {
        params: jobIdParam,
        query: z.object({
          since: emptyAsMissing(z.iso.datetime({ offset: true }).optional()).openapi({
            description: "Inclusive lower bound",
          }),
          until: emptyAsMissing(z.iso.datetime({ offset: true }).optional()).openapi({
            description: "Inclusive upper bound",
          }),
          ...PAGE_QUERY,
        }),
      },
      responses: {
        200: pageContent("snapshots", snapshotSchema),
        ...NOT_TRACKED,
      },
    }),
    async (c) => {
      const { job_id } = c.req.valid("param");
      const query = c.req.valid("query");
      const page = await listSnapshots(c.var.db, {
        jobId: job_id,
        since: query.since === undefined ? undefined : Date.parse(query.since),
        until: query.until === undefined ? undefined : Date.parse(query.until),
        ...pageAt(query, decodeNumberCursor),
      });
      if (!page) notTracked(job_id);
      return c.json(pageAnswer("snapshots", page, presentSnapshot), 200);
    },
  );
