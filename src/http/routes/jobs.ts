import { z } from "@hono/zod-openapi";
import { deleteJob, findJob, listJobs, listSnapshots } from "../../db/jobs";
import { APIS, apiOfJobId, TRACKING_STATES } from "../../model";
import { pollOne } from "../../monitor/poll";
import { trackJob } from "../../monitor/track";
import { firstAttempts } from "../../notifications/background";
import { jobSchema, presentJob, presentSnapshot, snapshotSchema } from "../../present/jobs";
import { requireRead, requireWrite } from "../auth";
import { afterAnswer } from "../context";
import { decodeCursor, decodeNumberCursor, encodeCursor } from "../cursor";
import { ApiError, errorSchema } from "../errors";
import { cursorQuery, emptyAsMissing, idInput, labelInput, limitQuery, optionalInput } from "../inputs";
import { AUTH_ERRORS, apiRoute, jsonContent, READ_SECURITY, router, WRITE_SECURITY } from "../openapi";

const id = idInput;
const jobIdParam = z.object({
  job_id: id.openapi({ param: { name: "job_id", in: "path" }, example: "bjb-0f4c2e" }),
});

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

function notFound(jobId: string): never {
  throw new ApiError("not_found", `No tracked job has the id "${jobId}".`);
}

const jobAnswer = z.object({ job: jobSchema });

export const jobRoutes = router()
  .openapi(
    apiRoute({
      method: "post",
      path: "/api/jobs",
      operationId: "trackJob",
      summary: "Track a LlamaCloud batch job (polls it once inline)",
      middleware: [requireWrite] as const,
      security: WRITE_SECURITY,
      request: { body: { content: { "application/json": { schema: trackBody } }, required: true } },
      responses: {
        201: jsonContent(jobAnswer, "Now tracked"),
        200: jsonContent(jobAnswer, "Already tracked"),
        ...AUTH_ERRORS,
        422: jsonContent(errorSchema, "LlamaCloud does not know the job"),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const now = Date.now();
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
      );
      if (result.kind === "upstream_not_found") throw new ApiError("upstream_not_found", result.message);
      if (result.kind === "existing") return c.json({ job: presentJob(result.row) }, 200);
      // The tracking poll's events (job.tracked at least) get their first attempt after the answer.
      firstAttempts(afterAnswer(c), body.job_id, now);
      return c.json({ job: presentJob(result.row) }, 201);
    },
  )
  .openapi(
    apiRoute({
      method: "get",
      path: "/api/jobs",
      operationId: "listJobs",
      summary: "List tracked jobs, newest first",
      middleware: [requireRead] as const,
      security: READ_SECURITY,
      request: {
        query: z.object({
          status: emptyAsMissing(z.string().max(200).optional()).openapi({
            description: "LlamaCloud status",
          }),
          state: emptyAsMissing(z.enum(TRACKING_STATES).optional()).openapi({
            description: "Tracking state",
          }),
          limit: limitQuery,
          cursor: cursorQuery,
        }),
      },
      responses: {
        200: jsonContent(
          z.object({ jobs: z.array(jobSchema), next_cursor: z.string().nullable() }),
          "A page of jobs",
        ),
        ...AUTH_ERRORS,
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const after = decodeCursor(query.cursor);
      const page = await listJobs(c.var.db, {
        status: query.status,
        state: query.state,
        limit: query.limit,
        after,
      });
      return c.json(
        {
          jobs: page.rows.map(presentJob),
          next_cursor: page.next && encodeCursor(page.next),
        },
        200,
      );
    },
  )
  .openapi(
    apiRoute({
      method: "get",
      path: "/api/jobs/{job_id}",
      operationId: "getJob",
      summary: "One tracked job",
      middleware: [requireRead] as const,
      security: READ_SECURITY,
      request: { params: jobIdParam },
      responses: {
        200: jsonContent(jobAnswer, "The job"),
        404: jsonContent(errorSchema, "Not tracked"),
        ...AUTH_ERRORS,
      },
    }),
    async (c) => {
      const { job_id } = c.req.valid("param");
      const row = await findJob(c.var.db, job_id);
      if (!row) notFound(job_id);
      return c.json({ job: presentJob(row) }, 200);
    },
  )
  .openapi(
    apiRoute({
      method: "delete",
      path: "/api/jobs/{job_id}",
      operationId: "untrackJob",
      summary: "Stop tracking a job and delete its history",
      middleware: [requireWrite] as const,
      security: WRITE_SECURITY,
      request: { params: jobIdParam },
      responses: {
        204: { description: "Deleted" },
        404: jsonContent(errorSchema, "Not tracked"),
        ...AUTH_ERRORS,
      },
    }),
    async (c) => {
      const { job_id } = c.req.valid("param");
      if (!(await deleteJob(c.var.db, job_id))) notFound(job_id);
      return c.body(null, 204);
    },
  )
  .openapi(
    apiRoute({
      method: "post",
      path: "/api/jobs/{job_id}/poll",
      operationId: "pollJob",
      summary: "Poll a job now",
      middleware: [requireWrite] as const,
      security: WRITE_SECURITY,
      request: { params: jobIdParam },
      responses: {
        200: jsonContent(jobAnswer, "The job after the poll"),
        404: jsonContent(errorSchema, "Not tracked"),
        409: jsonContent(errorSchema, "Another poll of this job is in flight"),
        422: jsonContent(errorSchema, "LlamaCloud answered 404 (recorded in tracking.last_error)"),
        502: jsonContent(
          errorSchema,
          "LlamaCloud failed or is rate limiting (recorded in tracking.last_error)",
        ),
        ...AUTH_ERRORS,
      },
    }),
    async (c) => {
      const { job_id } = c.req.valid("param");
      const now = Date.now();
      const result = await pollOne(c.var.db, c.var.config, job_id, { source: "manual", now });
      if (result.kind === "not_found") notFound(job_id);
      if (result.kind === "busy") {
        throw new ApiError("conflict", "This job is being polled right now; try again in a few seconds.");
      }
      // Whatever the poll raised (a failed poll can raise job.poll_failing) is sent after the answer.
      firstAttempts(afterAnswer(c), job_id, now);
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
    apiRoute({
      method: "get",
      path: "/api/jobs/{job_id}/history",
      operationId: "listJobHistory",
      summary: "A job's snapshots, newest first",
      middleware: [requireRead] as const,
      security: READ_SECURITY,
      request: {
        params: jobIdParam,
        query: z.object({
          since: emptyAsMissing(z.iso.datetime({ offset: true }).optional()).openapi({
            description: "Inclusive lower bound",
          }),
          until: emptyAsMissing(z.iso.datetime({ offset: true }).optional()).openapi({
            description: "Inclusive upper bound",
          }),
          limit: limitQuery,
          cursor: cursorQuery,
        }),
      },
      responses: {
        200: jsonContent(
          z.object({ snapshots: z.array(snapshotSchema), next_cursor: z.string().nullable() }),
          "A page of snapshots",
        ),
        404: jsonContent(errorSchema, "Not tracked"),
        ...AUTH_ERRORS,
      },
    }),
    async (c) => {
      const { job_id } = c.req.valid("param");
      const query = c.req.valid("query");
      const after = decodeNumberCursor(query.cursor);
      const page = await listSnapshots(c.var.db, {
        jobId: job_id,
        since: query.since === undefined ? undefined : Date.parse(query.since),
        until: query.until === undefined ? undefined : Date.parse(query.until),
        limit: query.limit,
        after,
      });
      if (!page) notFound(job_id);
      return c.json(
        {
          snapshots: page.rows.map(presentSnapshot),
          next_cursor: page.next && encodeCursor(page.next),
        },
        200,
      );
    },
  );
