// One tenant's world, selected by the Bearer API key: its v1 jobs and v2 batches, faults, request and
// callback logs, callback configuration and clock. Parallel tests with different keys never see each other.

import { batchJson, batchStatus, childId, childJson } from "./batch-answers";
import { isUnmappable } from "./batch-lifecycle";
import type { BatchChange, SimBatch } from "./batch-model";
import { syncBatch } from "./batches";
import {
  batchEvent,
  batchEventType,
  type CallbackEvent,
  childEvent,
  childEventType,
  type Deliver,
  eventTypeForStatus,
  jobEvent,
  type OutgoingCallback,
  prepareCallback,
  sendCallback,
} from "./callbacks";
import type { Fault, FaultKind } from "./faults";
import { statusJson } from "./job-answers";
import { type JobChange, type JobDefaults, syncJob } from "./jobs";
import type { Endpoint, SimJob } from "./model";

export interface TenantConfig {
  /** Where callbacks go; null = nowhere (on-demand callbacks can still be returned unsent). */
  callbackUrl: string | null;
  /** Signs callbacks with `LC-Signature` when set. */
  callbackSecret: string | null;
  /** Send a callback whenever the lifecycle moves a job (creation, steps, realtime progress, cancel). */
  autoCallbacks: boolean;
  /** Answer every upstream request of this key with 401, as for a revoked key. */
  revoked: boolean;
}

export interface RequestLogEntry {
  seq: number;
  at: string;
  method: string;
  path: string;
  endpoint: Endpoint | null;
  job_id: string | null;
  /** The child job ids a v2 list request asked for; null for other requests. */
  job_ids: string[] | null;
  query: Record<string, string>;
  authorization_present: boolean;
  status: number;
  fault: FaultKind | null;
}

export interface CallbackLogEntry {
  seq: number;
  at: string;
  trigger: "auto" | "manual";
  event_id: string;
  event_type: string;
  job_id: string | null;
  url: string | null;
  status: number | null;
  error: string | null;
  headers: Record<string, string>;
  body: string;
}

export interface WorldSettings {
  /** Wall clock in ms (injectable for tests of the simulator itself). */
  realNow: () => number;
  deliver: Deliver;
  config: TenantConfig;
  jobDefaults: JobDefaults;
}

const LOG_LIMIT = 10_000;

export class World {
  readonly jobs = new Map<string, SimJob>();
  readonly batches = new Map<string, SimBatch>();
  /** Every child job id of every batch, to its batch and file (ids are fixed before the jobs exist). */
  readonly childJobs = new Map<string, { batch: SimBatch; file: number }>();
  faults: Fault[] = [];
  requests: RequestLogEntry[] = [];
  callbacks: CallbackLogEntry[] = [];
  config: TenantConfig;
  /** Added to the wall clock, so a test can fast-forward realtime jobs (`POST /__sim/clock`). */
  clockOffsetMs = 0;
  private outbox: Promise<void> = Promise.resolve();
  private seq = 0;

  constructor(readonly settings: WorldSettings) {
    this.config = { ...settings.config };
  }

  now(): number {
    return this.settings.realNow() + this.clockOffsetMs;
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** Brings every realtime job and batch up to now, sending callbacks for what moved. */
  sync(): { jobs: JobChange[]; batches: BatchChange[] } {
    const now = this.now();
    const jobs: JobChange[] = [];
    for (const job of this.jobs.values()) {
      const change = syncJob(job, now);
      if (change) jobs.push(change);
    }
    const batches: BatchChange[] = [];
    for (const batch of this.batches.values()) {
      const change = syncBatch(batch, now);
      if (change) batches.push(change);
    }
    for (const change of jobs) this.announce(change);
    for (const change of batches) this.announceBatch(change);
    return { jobs, batches };
  }

  addBatch(batch: SimBatch): void {
    this.batches.set(batch.id, batch);
    for (let file = 0; file < batch.plan.totalFiles; file++) {
      if (!isUnmappable(batch.plan, file)) this.childJobs.set(childId(batch, file), { batch, file });
    }
  }

  deleteBatch(batch: SimBatch): void {
    this.batches.delete(batch.id);
    for (const [id, child] of this.childJobs) if (child.batch === batch) this.childJobs.delete(id);
  }

  /** Queues the callback for a batch that has just come into being (its current status). */
  announceNewBatch(batch: SimBatch): void {
    this.announceBatch({ batchId: batch.id, statuses: [batchStatus(batch)], children: [] });
  }

  /** Queues the automatic callbacks for one batch change: the batch's own, then each child's. */
  announceBatch(change: BatchChange): void {
    if (!this.config.autoCallbacks || !this.config.callbackUrl) return;
    const batch = this.batches.get(change.batchId);
    if (!batch) return;
    const now = this.now();
    const answer = batchJson(batch, { results: false });
    for (const status of change.statuses) {
      const type = batchEventType(status);
      if (type) this.queue(batchEvent(answer, type, now), "auto");
    }
    for (const { id, statuses } of change.children) {
      const child = this.childJobs.get(id);
      const job = child ? childJson(child.batch, child.file) : null;
      if (!job) continue;
      for (const status of statuses) {
        const type = childEventType(batch.jobType, status);
        if (type) this.queue(childEvent(job, type, now), "auto");
      }
    }
  }

  /** Queues the automatic callbacks for one lifecycle change. */
  announce(change: JobChange): void {
    if (!this.config.autoCallbacks || !this.config.callbackUrl) return;
    const job = this.jobs.get(change.jobId);
    if (!job) return;
    const answer = statusJson(job);
    const types = change.statuses.map((status) => eventTypeForStatus(status, answer.job.failed_items));
    if (types.length === 0) types.push("batch.progress");
    for (const type of types) this.queue(jobEvent(answer, type, this.now()), "auto");
  }

  /** Queues the callbacks for a job that has just come into being. */
  announceNew(job: SimJob): void {
    const answer = statusJson(job);
    this.announce({
      jobId: job.id,
      before: { status: "", processed_items: 0, failed_items: 0, skipped_items: 0 },
      after: { status: answer.job.status, processed_items: 0, failed_items: 0, skipped_items: 0 },
      statuses: [answer.job.status],
    });
  }

  private queue(event: CallbackEvent, trigger: "auto" | "manual"): void {
    const { callbackUrl, callbackSecret } = this.config;
    this.outbox = this.outbox.then(async () => {
      await this.send(await prepareCallback(event, callbackUrl, callbackSecret), trigger);
    });
  }

  /** Sends one callback now (after those already queued) and logs the outcome. */
  async send(callback: OutgoingCallback, trigger: "auto" | "manual"): Promise<CallbackLogEntry> {
    const result = await sendCallback(callback, this.settings.deliver);
    const entry: CallbackLogEntry = {
      seq: this.nextSeq(),
      at: new Date(this.now()).toISOString(),
      trigger,
      event_id: callback.event.event_id,
      event_type: callback.event.event_type,
      job_id: idOf(callback.event.data.job_id) ?? idOf(callback.event.data.batch_id),
      url: callback.url,
      status: result.status,
      error: result.error,
      headers: callback.headers,
      body: callback.body,
    };
    pushCapped(this.callbacks, entry);
    return entry;
  }

  /** Sends a callback in order with the automatic ones. */
  sendInOrder(callback: OutgoingCallback): Promise<CallbackLogEntry> {
    const sent = this.outbox.then(() => this.send(callback, "manual"));
    this.outbox = sent.then(() => undefined);
    return sent;
  }

  /** Resolves once every queued callback has been sent, so control routes answer deterministically. */
  flush(): Promise<void> {
    return this.outbox;
  }

  logRequest(entry: Omit<RequestLogEntry, "seq">): void {
    pushCapped(this.requests, { seq: this.nextSeq(), ...entry });
  }

  reset(): void {
    this.jobs.clear();
    this.batches.clear();
    this.childJobs.clear();
    this.faults = [];
    this.requests = [];
    this.callbacks = [];
    this.config = { ...this.settings.config };
    this.clockOffsetMs = 0;
  }
}

function idOf(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function pushCapped<T>(log: T[], entry: T): void {
  log.push(entry);
  if (log.length > LOG_LIMIT) log.splice(0, log.length - LOG_LIMIT);
}

/** All tenants of one simulator instance, created on first use of a key. */
export class Worlds {
  private readonly byKey = new Map<string, World>();

  constructor(private readonly settings: WorldSettings) {}

  get(apiKey: string): World {
    let world = this.byKey.get(apiKey);
    if (!world) {
      world = new World(this.settings);
      this.byKey.set(apiKey, world);
    }
    return world;
  }

  all(): World[] {
    return [...this.byKey.values()];
  }
}
