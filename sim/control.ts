// A typed client for the simulator's control routes and the webhook receiver, for tests in workerd
// (fetch goes through miniflare's outboundService) and in Node (fetch goes to a real server).
//
//   const sim = simControl({ apiKey: "llx-test-key" });            // http://llamacloud.test, global fetch
//   const job = await sim.createJob({ total_items: 5 });
//   await sim.advance(job.id, { steps: 3 });
//   await sim.injectFault({ kind: "rate_limit", job_id: job.id, retry_after: 120 });
//   expect(await sim.requestCount(job.id)).toBe(2);
//
// Only types are imported, so this file pulls no simulator code into the test bundle.

import type { BatchChange, SimBatchView } from "./batch-model";
import type {
  AdvanceBatchInput,
  AdvanceInput,
  CallbackInput,
  ConfigInput,
  CreateBatchInput,
  CreateJobInput,
  DemoBatchInput,
  FaultInput,
  PatchBatchInput,
  PatchJobInput,
} from "./control-routes";
import type { Endpoint, SimJobView } from "./model";
import type { ReceivedRequest, ScriptedResponse } from "./receiver";
import type { CallbackLogEntry, RequestLogEntry } from "./world";

export type {
  BatchChange,
  CallbackLogEntry,
  ReceivedRequest,
  RequestLogEntry,
  ScriptedResponse,
  SimBatchView,
  SimJobView,
};

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export interface SimTarget {
  /** The tenant: the same key the code under test sends upstream. */
  apiKey: string;
  /** Default `http://llamacloud.test` (the workerd test network). */
  baseUrl?: string;
  /** Default the global fetch. */
  fetch?: Fetch;
}

export interface FaultView extends FaultInput {
  id: string;
  remaining: number | null;
  used: number;
}

export interface JobChangeView {
  jobId: string;
  before: { status: string; processed_items: number; failed_items: number; skipped_items: number };
  after: { status: string; processed_items: number; failed_items: number; skipped_items: number };
  statuses: string[];
}

export interface SentCallback {
  event_id: string;
  event_type: string;
  url: string | null;
  status: number | null;
  error: string | null;
  headers: Record<string, string>;
  body: string;
}

export interface SimConfigView {
  callback_url: string | null;
  callback_secret_set: boolean;
  auto_callbacks: boolean;
  revoked: boolean;
  clock_offset_ms: number;
}

/** What the control routes take and answer about each kind of simulated thing, by its answer key. */
interface Resources {
  job: {
    many: "jobs";
    view: SimJobView;
    create: CreateJobInput;
    patch: PatchJobInput;
    advance: AdvanceInput;
    change: JobChangeView;
  };
  batch: {
    many: "batches";
    view: SimBatchView;
    create: CreateBatchInput;
    patch: PatchBatchInput;
    advance: AdvanceBatchInput;
    change: BatchChange;
  };
}

export class SimControlError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    route: string,
  ) {
    super(`simulator control ${route} answered ${status}: ${body}`);
  }
}

export function simControl(target: SimTarget) {
  const base = (target.baseUrl ?? "http://llamacloud.test").replace(/\/$/, "");
  const doFetch: Fetch = target.fetch ?? ((input, init) => fetch(input, init));

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await doFetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.apiKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new SimControlError(response.status, text, `${method} ${path}`);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  /** The calls a job and a batch both have, each answer unwrapped from its key (`job`, `jobs`…). */
  function resource<One extends keyof Resources>(one: One, many: Resources[One]["many"]) {
    type R = Resources[One];
    const path = (id: string) => `/__sim/${many}/${encodeURIComponent(id)}`;
    return {
      async create(options: R["create"] = {}): Promise<R["view"]> {
        return (await call<Record<One, R["view"]>>("POST", `/__sim/${many}`, options))[one];
      },
      async show(id: string): Promise<R["view"]> {
        return (await call<Record<One, R["view"]>>("GET", path(id)))[one];
      },
      async list(): Promise<R["view"][]> {
        return (await call<Record<R["many"], R["view"][]>>("GET", `/__sim/${many}`))[many];
      },
      async patch(id: string, patch: R["patch"]): Promise<R["view"]> {
        return (await call<Record<One, R["view"]>>("PATCH", path(id), patch))[one];
      },
      async advance(
        id: string,
        options: R["advance"] = {},
      ): Promise<Record<One, R["view"]> & { changes: R["change"][] }> {
        return call("POST", `${path(id)}/advance`, options);
      },
      async remove(id: string): Promise<void> {
        await call("DELETE", path(id));
      },
    };
  }
  const jobs = resource("job", "jobs");
  const batches = resource("batch", "batches");

  return {
    baseUrl: base,
    apiKey: target.apiKey,

    createJob: jobs.create,
    job: jobs.show,
    jobs: jobs.list,
    /** Sets answer fields (any value, unknown statuses too), extra fields, omissions or the plan. */
    patchJob: jobs.patch,
    advance: jobs.advance,
    deleteJob: jobs.remove,

    /** A v2 batch: its files, which cannot be mapped, which jobs fail, a THROTTLED phase… */
    createBatch: batches.create,
    batch: batches.show,
    batches: batches.list,
    /** Sets answer fields (any value, unknown statuses too), extra fields or omissions. */
    patchBatch: batches.patch,
    advanceBatch: batches.advance,
    deleteBatch: batches.remove,

    async injectFault(fault: FaultInput): Promise<FaultView> {
      return (await call<{ fault: FaultView }>("POST", "/__sim/faults", fault)).fault;
    },
    async faults(): Promise<FaultView[]> {
      return (await call<{ faults: FaultView[] }>("GET", "/__sim/faults")).faults;
    },
    async clearFaults(): Promise<void> {
      await call("DELETE", "/__sim/faults");
    },

    async requests(
      filter: { job_id?: string; endpoint?: Endpoint; since_seq?: number } = {},
    ): Promise<RequestLogEntry[]> {
      const query = new URLSearchParams(
        Object.entries(filter).flatMap(([key, value]) => (value === undefined ? [] : [[key, String(value)]])),
      );
      const suffix = query.size > 0 ? `?${query}` : "";
      return (await call<{ requests: RequestLogEntry[] }>("GET", `/__sim/requests${suffix}`)).requests;
    },
    /** Upstream requests about one job or batch so far (every endpoint, faulted ones included). */
    async requestCount(jobId: string, endpoint?: Endpoint): Promise<number> {
      return (await this.requests({ job_id: jobId, endpoint })).length;
    },
    async clearRequests(): Promise<void> {
      await call("DELETE", "/__sim/requests");
    },

    async config(): Promise<SimConfigView> {
      return (await call<{ config: SimConfigView }>("GET", "/__sim/config")).config;
    },
    async setConfig(config: ConfigInput): Promise<SimConfigView> {
      return (await call<{ config: SimConfigView }>("PUT", "/__sim/config", config)).config;
    },

    /** Sends (or with `deliver: false`, only builds and signs) a callback. */
    async sendCallback(options: CallbackInput): Promise<SentCallback> {
      return (await call<{ callback: SentCallback }>("POST", "/__sim/callbacks", options)).callback;
    },
    async callbacks(): Promise<CallbackLogEntry[]> {
      return (await call<{ callbacks: CallbackLogEntry[] }>("GET", "/__sim/callbacks")).callbacks;
    },

    /** Starts the next demo batch (v1 and v2 take turns) in the watched demo project or `project_id`. */
    async startDemoBatch(
      options: DemoBatchInput = {},
    ): Promise<{ id: string; api: "v1" | "v2"; project_id: string }> {
      return (
        await call<{ started: { id: string; api: "v1" | "v2"; project_id: string } }>(
          "POST",
          "/__sim/demo/batches",
          options,
        )
      ).started;
    },

    /** Moves this tenant's clock forward: realtime jobs and batches progress as if that time had passed. */
    async advanceClock(
      ms: number,
    ): Promise<{ now: string; changes: JobChangeView[]; batch_changes: BatchChange[] }> {
      return call("POST", "/__sim/clock", { advance_ms: ms });
    },
    /** Forgets this tenant's jobs, batches, faults, logs, config and clock offset. */
    async reset(): Promise<void> {
      await call("POST", "/__sim/reset");
    },
  };
}

export type SimControl = ReturnType<typeof simControl>;

export interface ReceiverTarget {
  /** The receiver's name; use a fresh one per test (e.g. crypto.randomUUID()). */
  name: string;
  /** Default `http://receiver.test` (the workerd test network); `http://127.0.0.1:8788/receiver` for the Node server. */
  baseUrl?: string;
  fetch?: Fetch;
}

export function receiverControl(target: ReceiverTarget) {
  const base = (target.baseUrl ?? "http://receiver.test").replace(/\/$/, "");
  const doFetch: Fetch = target.fetch ?? ((input, init) => fetch(input, init));
  const name = encodeURIComponent(target.name);

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await doFetch(`${base}/__receiver/${name}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new SimControlError(response.status, text, `${method} receiver ${path}`);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  return {
    /** The URL to subscribe: every request under it is recorded by this receiver. */
    url(path = "/hook"): string {
      return `${base}/${name}${path.startsWith("/") ? path : `/${path}`}`;
    },
    /** Answers to give, in order (each `times` times), then `fallback` (default 200). */
    async script(responses: ScriptedResponse[], fallback?: ScriptedResponse): Promise<void> {
      await call("POST", "/script", { responses, default: fallback });
    },
    async requests(): Promise<ReceivedRequest[]> {
      return (await call<{ requests: ReceivedRequest[] }>("GET", "/requests")).requests;
    },
    async reset(): Promise<void> {
      await call("DELETE", "");
    },
  };
}

export type ReceiverControl = ReturnType<typeof receiverControl>;
