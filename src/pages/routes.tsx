/**
 * The HTML pages (README "Status pages"): the dashboard, a job's page and its badge. Handlers only
 * read, then hand rows to the views; every rule about what is shown lives in ./view.ts and ./chart.ts.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { etag } from "hono/etag";
import { createMiddleware } from "hono/factory";
import { NONCE, secureHeaders } from "hono/secure-headers";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { jobHistory } from "../db/history";
import { jobWithFiles } from "../db/item-lists";
import { findJob, listJobs } from "../db/jobs";
import { listWatches } from "../db/watches";
import { canRead } from "../http/auth";
import { decodeCursor, encodeCursor } from "../http/cursor";
import { ApiError, ERROR_STATUS } from "../http/errors";
import { PAGE_QUERY } from "../http/lists";
import type { AppEnv } from "../http/openapi";
import { JOB_FILTERS } from "../http/tracked-jobs";
import { Badge, badgeModel } from "./badge";
import { MAX_CHART_POINTS } from "./chart";
import { Dashboard, dashboardQuery } from "./dashboard";
import { ErrorPage } from "./error-page";
import { ETA_WINDOW_MS } from "./eta";
import { JobPage } from "./job";
import { FILES_PER_PAGE, readFilesParam } from "./job-files";
import { hasEnded, progressPercent } from "./view";

type PageEnv = AppEnv;
type PageContext = Context<PageEnv>;

/** Browsers prompt for a password on a Basic challenge; the read or admin token is the password. */
const BASIC_CHALLENGE = 'Basic realm="batchwatch", charset="UTF-8"';
const RECENT_SNAPSHOTS = 20;

/**
 * A strict policy: nothing may load except the page's own stylesheet (by per-request nonce) and
 * data: images (the favicon). No script runs, no form posts elsewhere, no framing.
 */
const htmlHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    styleSrc: [NONCE],
    imgSrc: ["'self'", "data:"],
    formAction: ["'self'"],
    baseUri: ["'none'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: "DENY",
});

const badgePolicy = { contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"] } };
const openBadgeHeaders = secureHeaders({ ...badgePolicy, crossOriginResourcePolicy: "cross-origin" });
const privateBadgeHeaders = secureHeaders({ ...badgePolicy, crossOriginResourcePolicy: "same-origin" });

/**
 * A badge is an image that runs nothing. Other sites may embed it only when anyone may read it
 * anyway (PUBLIC_READ): a private badge loaded cross-origin would ride on the browser's cached Basic
 * credentials, and its width tells the embedding site the job's status.
 */
const badgeHeaders = createMiddleware<PageEnv>((c, next) =>
  (c.var.config.publicRead ? openBadgeHeaders : privateBadgeHeaders)(c, next),
);

function nonceOf(c: PageContext): string | undefined {
  return c.get("secureHeadersNonce");
}

function htmlPage(c: PageContext, status: ContentfulStatusCode, title: string, message: string) {
  c.header("Cache-Control", "no-store");
  return c.html(<ErrorPage title={title} message={message} nonce={nonceOf(c)} />, status);
}

/** Reads need what the JSON API's reads need (README "Status pages"); a 401 makes browsers ask. */
const requirePageRead = createMiddleware<PageEnv>(async (c, next) => {
  const allowed = await canRead(c);
  if (allowed === "not_configured") {
    return htmlPage(
      c,
      503,
      "Not configured",
      'Reading is closed until READ_TOKEN or ADMIN_TOKEN is set, or PUBLIC_READ is "true".',
    );
  }
  if (!allowed) {
    c.header("WWW-Authenticate", BASIC_CHALLENGE);
    return htmlPage(
      c,
      401,
      "Sign in",
      "This monitor needs the read or admin token: use it as the password (any user name).",
    );
  }
  await next();
});

// The same filters and paging as GET /api/jobs (empty values from the form mean "not given").
const dashboardQuerySchema = z.object({ ...JOB_FILTERS, ...PAGE_QUERY });

export const pageRoutes = new Hono<PageEnv>();

/** Errors on these routes answer as HTML pages with the JSON API's status codes. */
pageRoutes.onError((err, c) => {
  if (err instanceof ApiError)
    return htmlPage(c, ERROR_STATUS[err.code], "Something is not right", err.message);
  console.error("unhandled error on a page", err);
  return htmlPage(c, 500, "Something went wrong", "The page could not be shown; try again in a moment.");
});

pageRoutes.get("/", htmlHeaders, requirePageRead, async (c) => {
  const parsed = dashboardQuerySchema.safeParse(c.req.query());
  if (!parsed.success) {
    return htmlPage(c, 400, "Bad filter", "The status, tracking or limit in the address is not valid.");
  }
  const { cursor, ...filters } = parsed.data;
  const after = decodeCursor(cursor);
  // Two queries side by side: the page waits for one round trip's time, not two.
  const [page, watches] = await Promise.all([
    listJobs(c.var.db, { status: filters.status, state: filters.state, limit: filters.limit, after }),
    listWatches(c.var.db),
  ]);
  const next = page.next && encodeCursor(page.next);
  c.header("Cache-Control", "no-store");
  return c.html(
    <Dashboard
      jobs={page.rows}
      watches={watches}
      filters={filters}
      nextQuery={next ? dashboardQuery(filters, next) : null}
      paged={after !== undefined}
      now={Date.now()}
      nonce={nonceOf(c)}
    />,
  );
});

pageRoutes.get("/jobs/:job_id", htmlHeaders, requirePageRead, async (c) => {
  const jobId = c.req.param("job_id");
  const db = c.var.db;
  const from = readFilesParam(c.req.query("files"));
  // The job and its Files page come in one round trip, its history in a second.
  const { job, files } = await jobWithFiles(db, jobId, { limit: FILES_PER_PAGE, from });
  if (!job) return htmlPage(c, 404, "Job not found", `No tracked job has the id "${jobId}".`);
  const now = Date.now();
  const history = await jobHistory(db, jobId, {
    // One point is kept for the job's current counts at its last poll (see chartPoints).
    maxPoints: MAX_CHART_POINTS - 1,
    recent: RECENT_SNAPSHOTS,
    rateSince: (job.lastSuccessAt ?? now) - ETA_WINDOW_MS,
  });
  c.header("Cache-Control", "no-store");
  return c.html(
    <JobPage
      job={job}
      history={history}
      files={files}
      filesPaged={from !== undefined}
      now={now}
      nonce={nonceOf(c)}
    />,
  );
});

pageRoutes.get("/jobs/:job_id/badge.svg", badgeHeaders, requirePageRead, etag(), async (c) => {
  const jobId = c.req.param("job_id");
  const job = await findJob(c.var.db, jobId);
  const svg = job
    ? (<Badge {...badgeModel(job.status, progressPercent(job))} />).toString()
    : (<Badge label="batch" message="not tracked" tone="muted" percent={null} />).toString();
  const { publicRead } = c.var.config;
  // Short while the job moves, longer once it is final; private unless anyone may read anyway.
  const maxAge = job && hasEnded(job) ? 3600 : 60;
  c.header("Cache-Control", `${publicRead ? "public" : "private"}, max-age=${maxAge}`);
  if (!publicRead) c.header("Vary", "Authorization");
  return c.body(await svg, job ? 200 : 404, { "Content-Type": "image/svg+xml; charset=utf-8" });
});
