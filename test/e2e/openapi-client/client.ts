// An outside TypeScript caller of batchwatch: openapi-fetch over the types that openapi-typescript
// generates from the served /openapi.json. test/e2e/openapi.test.ts writes ./schema.d.ts from the
// running app, typechecks this file against it with tsc, then calls batchwatch through it. The
// project's own typecheck skips this folder (tsconfig "exclude"): ./schema.d.ts exists only then.
import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./schema";

type Api = Client<paths>;

function failed(what: string, response: Response, error: { error: { code: string } }): Error {
  return new Error(`${what} answered ${response.status} ${error.error.code}`);
}

export function batchwatchClient(baseUrl: string, token: string) {
  const api: Api = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${token}` } });
  return {
    /** A read route: the tracked jobs, newest first. */
    async listJobs() {
      const { data, error, response } = await api.GET("/api/jobs", { params: { query: { limit: 50 } } });
      if (error) throw failed("GET /api/jobs", response, error);
      return data.jobs.map((job) => ({ id: job.id, status: job.status, state: job.tracking.state }));
    },
    /** A write route: track a job (201, or 200 when it is already tracked). */
    async trackJob(jobId: string, label: string) {
      const { data, error, response } = await api.POST("/api/jobs", { body: { job_id: jobId, label } });
      if (error) throw failed("POST /api/jobs", response, error);
      return { status: response.status, label: data.job.label, processed: data.job.processed_items };
    },
    /** Another write: a Slack subscription, whose answer carries the secret once. */
    async subscribeSlack(url: string) {
      const { data, error } = await api.POST("/api/subscriptions", { body: { url, format: "slack" } });
      if (error) return { refused: error.error.code };
      return { format: data.subscription.format, secret: data.subscription.secret.startsWith("whsec_") };
    },
  };
}

/** Calls the generated types must refuse: if they did not, each unused @ts-expect-error fails tsc. */
export function mistakes(api: Api) {
  // @ts-expect-error: the field is job_id
  void api.POST("/api/jobs", { body: { jobId: "bjb-1" } });
  // @ts-expect-error: there is no such route
  void api.GET("/api/job");
  // @ts-expect-error: a format is standard, slack or discord
  void api.POST("/api/subscriptions", { body: { url: "https://hooks.example.com/x", format: "teams" } });
  // @ts-expect-error: a job's state is a tracking field, not a top-level one
  void api.GET("/api/jobs").then(({ data }) => data?.jobs[0]?.state);
}
