import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import LlamaCloud, { AuthenticationError, NotFoundError, RateLimitError } from "@llamaindex/llama-cloud";
import type {
  BatchCancelResponse,
  BatchGetStatusResponse,
  BatchListResponse,
} from "@llamaindex/llama-cloud/resources/beta/batch/batch";
import type { JobItemListResponse } from "@llamaindex/llama-cloud/resources/beta/batch/job-items";
import LlamaCloudV2 from "llama-cloud-v2";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { CreateJobInput } from "../../sim/control-routes";
import { DEMO_BATCHES, DEMO_JOBS, WATCHED_BATCHES, WATCHED_JOBS } from "../../sim/demo";
import { sdkWorld, strictly, useSimulator } from "./fidelity";

// The simulator may not drift from the real API. The official SDK (the last version with the v1
// batch endpoints) is pointed at it and must parse every answer, at every lifecycle stage. The SDK
// does not validate bodies, so each answer is also checked against strict schemas written from the
// SDK's types; the compile-time assertions below keep those schemas equal to the SDK's types.

const status = z.enum(["cancelled", "completed", "dispatched", "failed", "pending", "running"]);
const nullableString = z.string().nullable().optional();

const Job = z.strictObject({
  id: z.string(),
  job_type: z.enum(["classify", "extract", "parse"]),
  project_id: z.string(),
  status,
  total_items: z.number(),
  completed_at: nullableString,
  created_at: nullableString,
  directory_id: nullableString,
  effective_at: z.string().optional(),
  error_message: nullableString,
  failed_items: z.number().optional(),
  job_record_id: nullableString,
  processed_items: z.number().optional(),
  skipped_items: z.number().optional(),
  started_at: nullableString,
  updated_at: nullableString,
  workflow_id: nullableString,
});

const StatusAnswer = z.strictObject({ job: Job, progress_percentage: z.number() });

const Item = z.strictObject({
  item_id: z.string(),
  item_name: z.string(),
  status: z.enum(["cancelled", "completed", "failed", "pending", "processing", "skipped"]),
  completed_at: nullableString,
  effective_at: z.string().optional(),
  error_message: nullableString,
  job_id: nullableString,
  job_record_id: nullableString,
  skip_reason: nullableString,
  started_at: nullableString,
});

const CancelAnswer = z.strictObject({
  job_id: z.string(),
  message: z.string(),
  processed_items: z.number(),
  status,
});

const page = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), total_size: z.number() });

// Compile-time: each schema describes exactly the SDK's type (tsc fails otherwise).
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const schemasMatchSdk: [
  Equals<z.infer<typeof StatusAnswer>, BatchGetStatusResponse>,
  Equals<z.infer<typeof Job>, BatchListResponse>,
  Equals<z.infer<typeof Job>, BatchGetStatusResponse.Job>,
  Equals<z.infer<typeof Item>, JobItemListResponse>,
  Equals<z.infer<typeof CancelAnswer>, BatchCancelResponse>,
] = [true, true, true, true, true];

/** The fields the contract says every job answer carries (the SDK marks most optional). */
const CONTRACT_JOB_FIELDS = Object.keys(Job.shape).sort();

const simulatorURL = useSimulator();

const world = (name: string) => sdkWorld(LlamaCloud, simulatorURL(), name);

/** Every answer the SDK can get about one job right now, each checked strictly. */
async function checkEveryAnswer(sdk: LlamaCloud, jobId: string, stage: string) {
  const answer = strictly(
    StatusAnswer,
    await sdk.beta.batch.getStatus(jobId, { project_id: "prj-fidelity" }),
    stage,
  );
  expect(Object.keys(answer.job).sort(), stage).toEqual(CONTRACT_JOB_FIELDS);
  expect(answer.job.id).toBe(jobId);

  const firstItems = await sdk.beta.batch.jobItems.list(jobId, { limit: 4 });
  strictly(page(Item), { items: firstItems.items, total_size: firstItems.total_size }, `${stage} items page`);
  let walked = 0;
  for await (const item of sdk.beta.batch.jobItems.list(jobId, { limit: 4 })) {
    strictly(Item, item, `${stage} item ${walked}`);
    walked += 1;
  }
  expect(walked, `${stage}: the SDK's paginator walks every item`).toBe(answer.job.total_items);
  return answer;
}

const LIFECYCLES: [string, CreateJobInput, string[]][] = [
  [
    "completes, with failed and skipped items",
    { total_items: 7, failed_every: 3, skipped_every: 5 },
    ["pending", "dispatched", "running", "completed"],
  ],
  [
    "fails part-way",
    { total_items: 6, scenario: "fails", stop_at: 3, job_type: "extract" },
    ["pending", "dispatched", "running", "failed"],
  ],
  [
    "is cancelled part-way",
    { total_items: 5, scenario: "cancelled", stop_at: 2, job_type: "classify" },
    ["pending", "dispatched", "running", "cancelled"],
  ],
  [
    "stalls while running",
    { total_items: 6, scenario: "stalls", stop_at: 2 },
    ["pending", "dispatched", "running"],
  ],
  ["has no items", { total_items: 0 }, ["pending", "dispatched", "completed"]],
];

describe("the SDK parses every simulator answer", () => {
  it.each(LIFECYCLES)("across the life of a job that %s", async (_name, options, statuses) => {
    const { sdk, sim } = world("lifecycle");
    let view = await sim.createJob({ ...options, project_id: "prj-fidelity" });
    const seen: string[] = [];
    for (let step = 0; ; step++) {
      const answer = await checkEveryAnswer(sdk, view.id, `step ${step}`);
      if (seen.at(-1) !== answer.job.status) seen.push(answer.job.status);
      for await (const listed of sdk.beta.batch.list({ limit: 1 }))
        strictly(Job, listed, `step ${step} list`);
      if (view.sim.finished) break;
      view = (await sim.advance(view.id)).job;
    }
    expect(seen).toEqual(statuses);
  });

  it("lists with filters and walks every page", async () => {
    const { sdk, sim } = world("list");
    for (let i = 0; i < 5; i++)
      await sim.createJob({ job_type: i % 2 ? "extract" : "parse", start_at: "running" });
    const first = await sdk.beta.batch.list({ limit: 2, job_type: "extract" });
    strictly(page(Job), { items: first.items, total_size: first.total_size }, "list page");
    expect(first.total_size).toBe(2);
    const all: string[] = [];
    for await (const job of sdk.beta.batch.list({ limit: 2 })) all.push(strictly(Job, job, "list entry").id);
    expect(new Set(all).size).toBe(5);
    expect((await sdk.beta.batch.list({ status: "completed" })).items).toEqual([]);
  });

  it("parses cancel answers, pending or running", async () => {
    const { sdk, sim } = world("cancel");
    for (const options of [{}, { finished_items: 3, total_items: 10 }] satisfies CreateJobInput[]) {
      const job = await sim.createJob(options);
      const answer = strictly(
        CancelAnswer,
        await sdk.beta.batch.cancel(job.id, { reason: "fidelity check" }),
        "cancel",
      );
      expect(answer).toMatchObject({ job_id: job.id, status: "cancelled" });
      await checkEveryAnswer(sdk, job.id, "after cancel");
    }
  });

  it("parses realtime jobs as time passes", async () => {
    const { sdk, sim } = world("realtime");
    const job = await sim.createJob({ mode: "realtime", total_items: 8, speed: 2, failed_every: 4 });
    for (let i = 0; i < 6; i++) {
      await checkEveryAnswer(sdk, job.id, `after ${i * 1500} ms`);
      await sim.advanceClock(1500);
    }
    expect((await sdk.beta.batch.getStatus(job.id)).job.status).toBe("completed");
  });

  it("turns the simulator's error answers into the SDK's error classes", async () => {
    const { sdk, sim } = world("errors");
    await expect(sdk.beta.batch.getStatus("bjb-missing")).rejects.toBeInstanceOf(NotFoundError);
    const job = await sim.createJob();
    await sim.injectFault({ kind: "rate_limit", job_id: job.id, retry_after: 5 });
    await expect(sdk.beta.batch.getStatus(job.id)).rejects.toBeInstanceOf(RateLimitError);
    const stranger = new LlamaCloud({ apiKey: "not-a-key", baseURL: simulatorURL(), maxRetries: 0 });
    await expect(stranger.beta.batch.getStatus(job.id)).rejects.toBeInstanceOf(AuthenticationError);
  });

  it("keeps its schemas equal to the SDK's types", () => {
    expect(schemasMatchSdk).toEqual([true, true, true, true, true]);
  });
});

describe("the Node server (npx tsx sim/server.ts)", () => {
  it("serves demo jobs and v2 batches of every lifecycle, sends signed callbacks, and exits on SIGTERM", async () => {
    const callbacks: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const hooks = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        callbacks.push({ headers: request.headers, body });
        response.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, "127.0.0.1", resolve));
    const hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/webhooks/llamacloud`;

    const child = spawn(
      process.execPath,
      ["--import", "tsx", "sim/server.ts", "--port", "0", "--demo", "--api-key", "llx-e2e"],
      {
        env: {
          ...process.env,
          SIM_CALLBACK_URL: hookUrl,
          SIM_CALLBACK_SECRET: "e2e-secret",
          SIM_SYNC_MS: "200",
        },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          const match = output.match(/listening on (http:\/\/\S+)/);
          if (match?.[1]) resolve(match[1]);
        });
        child.once("exit", (code) => reject(new Error(`server exited early (${code}): ${output}`)));
      });

      const sdk = new LlamaCloud({ apiKey: "llx-e2e", baseURL: url, maxRetries: 0 });
      const demo: string[] = [];
      for await (const job of sdk.beta.batch.list()) demo.push(strictly(Job, job, "demo job").status);
      // The demo jobs npm start tracks by hand, and those of the project its watch discovers.
      expect(demo).toHaveLength(DEMO_JOBS.length + WATCHED_JOBS.length);
      expect(demo).toContain("completed");
      const stalls = await sdk.beta.batch.getStatus("bjb-demo-stalls");
      expect(strictly(StatusAnswer, stalls, "demo status").job.id).toBe("bjb-demo-stalls");
      const v2 = new LlamaCloudV2({ apiKey: "llx-e2e", baseURL: url, maxRetries: 0 });
      const batches: string[] = [];
      for await (const batch of v2.batches.list()) batches.push(batch.id);
      expect(batches.sort()).toEqual([...DEMO_BATCHES, ...WATCHED_BATCHES].map((b) => b.id).sort());
      expect(batches).toEqual(
        expect.arrayContaining(["bat-demo-early", "bat-demo-files", "bat-demo-throttled"]),
      );

      // Creation callbacks go out at once, the sweep sends the rest as realtime jobs move.
      await expect.poll(() => callbacks.length, { timeout: 10_000 }).toBeGreaterThan(7);
      for (const callback of callbacks.slice(0, 8)) {
        const mac = createHmac("sha256", "e2e-secret").update(callback.body).digest("hex");
        expect(callback.headers["lc-signature"]).toBe(`sha256=${mac}`);
        expect(callback.headers["x-webhook-event-type"]).toMatch(/^batch\./);
      }

      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
      await new Promise((resolve) => hooks.close(resolve));
    }
  });
});
