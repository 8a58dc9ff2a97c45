import LlamaCloud, {
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
  UnprocessableEntityError,
} from "llama-cloud-v2";
import type {
  BatchCancelResponse,
  BatchGetResponse,
  BatchListResponse,
} from "llama-cloud-v2/resources/batches";
import type { ExtractV2Job } from "llama-cloud-v2/resources/extract";
import type { ParsingListResponse } from "llama-cloud-v2/resources/parsing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { CreateBatchInput } from "../../sim/control-routes";
import { sdkWorld, strictly, useSimulator } from "./fidelity";

// The simulator's v2 side may not drift from the real API either. The current official SDK (2.16.0,
// installed beside 2.13.0 as `llama-cloud-v2`) is pointed at it and must parse every answer across
// whole batch lifecycles, paging included. The SDK does not validate bodies, so each answer is also
// checked against strict schemas that tsc keeps equal to (extract: assignable to) the SDK's types.

const nullableString = z.string().nullable().optional();
const jobType = z.enum(["extract_v2", "parse_v2"]);

const Result = z.strictObject({
  source_directory_file_id: z.string(),
  error_message: nullableString,
  job_reference: z.strictObject({ id: z.string(), type: jobType }).nullable().optional(),
});

const Batch = z.strictObject({
  id: z.string(),
  config: z.strictObject({ job: z.strictObject({ configuration_id: z.string(), type: jobType }) }),
  project_id: z.string(),
  source_directory_id: z.string(),
  status: z.enum(["CANCELLED", "COMPLETED", "FAILED", "PENDING", "RUNNING", "THROTTLED"]),
  created_at: nullableString,
  results: z.array(Result).nullable().optional(),
  updated_at: nullableString,
});

const ParseJob = z.strictObject({
  id: z.string(),
  project_id: z.string(),
  status: z.enum(["CANCELLED", "COMPLETED", "FAILED", "PENDING", "RUNNING"]),
  created_at: nullableString,
  error_message: nullableString,
  name: nullableString,
  tier: nullableString,
  updated_at: nullableString,
  usage: z.strictObject({ credits: z.number().nullable().optional() }).nullable().optional(),
  user_metadata: z.record(z.string(), z.string()).nullable().optional(),
});

// ExtractV2Job has many optional fields (configuration, metadata…) the simulator never sends; the
// schema covers what it sends, and tsc checks that this is a valid ExtractV2Job with no foreign key.
const ExtractJob = z.strictObject({
  id: z.string(),
  created_at: z.string(),
  file_input: z.string(),
  project_id: z.string(),
  status: z.string(),
  updated_at: z.string(),
  configuration_id: nullableString,
  error_message: nullableString,
  extract_result: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .nullable()
    .optional(),
});

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type ValidSubset<A, B> = [A] extends [B] ? (Exclude<keyof A, keyof B> extends never ? true : false) : false;
const schemasMatchSdk: [
  Equals<z.infer<typeof Batch>, BatchGetResponse>,
  Equals<z.infer<typeof Batch>, BatchListResponse>,
  Equals<z.infer<typeof Batch>, BatchCancelResponse>,
  Equals<z.infer<typeof ParseJob>, ParsingListResponse>,
  ValidSubset<z.infer<typeof ExtractJob>, ExtractV2Job>,
] = [true, true, true, true, true];

/** The fields the contract names for a batch; the simulator sends every one (results null unless expanded). */
const BATCH_FIELDS = Object.keys(Batch.shape).sort();
const PROJECT = "prj-fidelity-v2";

const simulatorURL = useSimulator();

const world = (name: string) => sdkWorld(LlamaCloud, simulatorURL(), `v2-${name}`);

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Every child job the batch's results name, read through the product's list (≤ 100 ids a request). */
async function childrenOf(sdk: LlamaCloud, batch: z.infer<typeof Batch>, pageSize: number, stage: string) {
  const ids = (batch.results ?? []).flatMap((entry) => (entry.job_reference ? [entry.job_reference.id] : []));
  const children: { id: string; status: string; error_message?: string | null }[] = [];
  for (const chunk of chunks(ids, 100)) {
    const query = { job_ids: chunk, page_size: pageSize, project_id: PROJECT };
    if (batch.config.job.type === "parse_v2") {
      for await (const job of sdk.parsing.list(query))
        children.push(strictly(ParseJob, job, `${stage} parse job`));
    } else {
      for await (const job of sdk.extract.list(query))
        children.push(strictly(ExtractJob, job, `${stage} extract job`));
    }
  }
  expect(children.map((child) => child.id).sort(), `${stage}: every referenced job, once`).toEqual(
    ids.sort(),
  );
  return children;
}

/** Every answer the SDK can get about one batch right now, each checked strictly. */
async function checkEveryAnswer(sdk: LlamaCloud, batchId: string, stage: string) {
  const batch = strictly(
    Batch,
    await sdk.batches.get(batchId, { expand: ["results"], project_id: PROJECT }),
    stage,
  );
  expect(Object.keys(batch).sort(), stage).toEqual(BATCH_FIELDS);
  expect(batch.id).toBe(batchId);
  for (const entry of batch.results ?? []) {
    // A file either became a job or says why it could not.
    if (!entry.job_reference) expect(entry.error_message, `${stage} unmapped file`).toMatch(/\w/);
    else expect(entry.error_message, `${stage} mapped file`).toBeNull();
  }
  const plain = strictly(Batch, await sdk.batches.get(batchId), `${stage} without expand`);
  expect(plain.results ?? null, `${stage}: results only when expanded`).toBeNull();
  for await (const listed of sdk.batches.list({ page_size: 1, project_id: PROJECT })) {
    strictly(Batch, listed, `${stage} list`);
  }
  const children = await childrenOf(sdk, batch, 3, stage);
  return { batch, children };
}

const LIFECYCLES: [string, CreateBatchInput, string[]][] = [
  [
    "maps its files while results grow, one unmappable and two failing",
    { total_files: 7, unmappable_files: 1, failed_children: 2, files_per_step: 2 },
    ["PENDING", "RUNNING", "COMPLETED"],
  ],
  [
    "is THROTTLED for a while",
    { total_files: 4, throttle_after_files: 2, throttled_steps: 2, cancelled_children: 1 },
    ["PENDING", "RUNNING", "THROTTLED", "RUNNING", "COMPLETED"],
  ],
  [
    "is COMPLETED before its children",
    { total_files: 3, completes_before_children: true, child_steps: 3 },
    ["PENDING", "RUNNING", "COMPLETED"],
  ],
  [
    "extracts, is throttled, fails, and leaves a job running",
    {
      job_type: "extract_v2",
      total_files: 6,
      scenario: "fails",
      stop_at: 4,
      stuck_children: 1,
      throttle_after_files: 1,
      throttled_steps: 1,
    },
    ["PENDING", "RUNNING", "THROTTLED", "RUNNING", "FAILED"],
  ],
  ["has no files", { total_files: 0 }, ["PENDING", "RUNNING", "COMPLETED"]],
];

describe("SDK 2.16 parses every v2 simulator answer", () => {
  it.each(LIFECYCLES)("across the life of a batch that %s", async (_name, options, statuses) => {
    const { sdk, sim } = world("lifecycle");
    let view = await sim.createBatch({ ...options, project_id: PROJECT });
    const seen: string[] = [];
    const resultLengths: (number | null)[] = [];
    let completedWhileChildrenRan = false;
    for (let step = 0; ; step++) {
      const { batch, children } = await checkEveryAnswer(sdk, view.id, `step ${step}`);
      if (seen.at(-1) !== batch.status) seen.push(batch.status);
      resultLengths.push(batch.results?.length ?? null);
      const running = children.some((child) => !["COMPLETED", "FAILED", "CANCELLED"].includes(child.status));
      if (batch.status === "COMPLETED" && running) completedWhileChildrenRan = true;
      if (view.sim.finished) break;
      view = (await sim.advanceBatch(view.id)).batch;
    }
    expect(seen).toEqual(statuses);
    expect(resultLengths[0], "no results while PENDING").toBeNull();
    expect(completedWhileChildrenRan).toBe(options.completes_before_children === true);
  });

  it("pages through 250 children, 100 ids a request, and through the whole product list", async () => {
    const { sdk, sim } = world("pages");
    const view = await sim.createBatch({
      total_files: 250,
      failed_children: 25,
      files_per_step: 50,
      child_steps: 1,
      project_id: PROJECT,
      start_at: "end",
    });
    const batch = strictly(Batch, await sdk.batches.get(view.id, { expand: ["results"] }), "250 files");
    expect(batch.results).toHaveLength(250);
    await sim.clearRequests();
    const children = await childrenOf(sdk, batch, 40, "250 children");
    expect(children.filter((child) => child.status === "FAILED")).toHaveLength(25);
    expect(children.every((child) => child.status !== "FAILED" || child.error_message)).toBe(true);
    // 100 + 100 + 50 ids, 40 a page: 3 + 3 + 2 pages.
    const pages = await sim.requests({ endpoint: "children" });
    expect(pages.map((page) => page.job_ids?.length)).toEqual([100, 100, 100, 100, 100, 100, 50, 50]);

    const everyJob = new Set<string>();
    for await (const job of sdk.parsing.list({ page_size: 100 }))
      everyJob.add(strictly(ParseJob, job, "all").id);
    expect(everyJob.size).toBe(250);
  });

  it("lists batches with filters, page after page, while new ones appear", async () => {
    const { sdk, sim } = world("list");
    const first = await sim.createBatch({ project_id: PROJECT, start_at: "end" });
    for (let i = 0; i < 4; i++)
      await sim.createBatch({ project_id: PROJECT, start_at: i % 2 ? "running" : "pending" });
    await sim.createBatch({ project_id: "prj-elsewhere" });
    const page = await sdk.batches.list({ page_size: 2, project_id: PROJECT });
    expect(page.items).toHaveLength(2);
    expect(page.next_page_token).not.toBe("");
    await sim.createBatch({ project_id: PROJECT });
    const rest: string[] = [];
    for await (const batch of page) rest.push(strictly(Batch, batch, "listed").id);
    expect(new Set(rest).size).toBe(5);
    const completed = await sdk.batches.list({ status: "COMPLETED", project_id: PROJECT });
    expect(completed.items.map((batch) => batch.id)).toEqual([first.id]);
    const future = await sdk.batches.list({
      created_at_on_or_after: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(future.items).toEqual([]);
    expect(future.next_page_token).toBe("");
  });

  it("parses cancel answers, and cancels the children still running", async () => {
    const { sdk, sim } = world("cancel");
    const view = await sim.createBatch({ total_files: 6, start_at: "running", project_id: PROJECT });
    await sim.advanceBatch(view.id, { steps: 4 });
    const cancelled = strictly(Batch, await sdk.batches.cancel(view.id), "cancel");
    expect(cancelled.status).toBe("CANCELLED");
    const { children } = await checkEveryAnswer(sdk, view.id, "after cancel");
    expect(children.map((child) => child.status)).toContain("CANCELLED");
    await expect(sdk.batches.cancel(view.id)).rejects.toBeInstanceOf(BadRequestError);
  });

  it("parses realtime batches as time passes", async () => {
    const { sdk, sim } = world("realtime");
    const view = await sim.createBatch({
      mode: "realtime",
      total_files: 8,
      speed: 4,
      failed_children: 2,
      project_id: PROJECT,
    });
    for (let i = 0; i < 8; i++) {
      await checkEveryAnswer(sdk, view.id, `after ${i} s`);
      await sim.advanceClock(1000);
    }
    expect((await sdk.batches.get(view.id)).status).toBe("COMPLETED");
  });

  it("turns the simulator's v2 error answers into the SDK's error classes", async () => {
    const { sdk, sim } = world("errors");
    await expect(sdk.batches.get("bat-missing")).rejects.toBeInstanceOf(NotFoundError);
    const view = await sim.createBatch({ start_at: "mapped" });
    await sim.injectFault({ kind: "rate_limit", job_id: view.id, endpoint: "batch", retry_after: 5 });
    await expect(sdk.batches.get(view.id)).rejects.toBeInstanceOf(RateLimitError);
    await sim.injectFault({ kind: "server_error", endpoint: "children", status: 503 });
    await expect(sdk.parsing.list({ job_ids: ["pjb-x"] })).rejects.toBeInstanceOf(InternalServerError);
    const tooMany = Array.from({ length: 101 }, (_, i) => `pjb-${i}`);
    await expect(sdk.parsing.list({ job_ids: tooMany })).rejects.toBeInstanceOf(UnprocessableEntityError);
    await expect(sdk.extract.list({ page_token: "not-a-token" })).rejects.toBeInstanceOf(BadRequestError);
    const stranger = new LlamaCloud({ apiKey: "not-a-key", baseURL: simulatorURL(), maxRetries: 0 });
    await expect(stranger.batches.list()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it("keeps its schemas equal to the SDK's types", () => {
    expect(schemasMatchSdk).toEqual([true, true, true, true, true]);
  });
});
