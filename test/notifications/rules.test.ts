// The notification rules as pure functions: which events an outcome raises, what an attempt's answer
// means, the retry schedule, which subscription URLs are refused, the inbound signature.
import { describe, expect, it } from "vitest";
import { signature } from "../../sim/callbacks";
import { generateSecret } from "../../src/db/ids";
import type { JobRow } from "../../src/db/schema";
import { decideOutcome, type PollOutcome, type PollResult } from "../../src/monitor/decisions";
import { eventBody, jobAfter, raisedEvents } from "../../src/notifications/events";
import {
  afterAttempt,
  classifyAnswer,
  classifyThrown,
  MAX_ATTEMPTS,
  RETRY_DELAYS_MS,
  roundUpToTick,
} from "../../src/notifications/schedule";
import { checkSubscriptionUrl } from "../../src/notifications/urls";
import { readCallback, verifyLlamaCloudSignature } from "../../src/upstream/callbacks";
import { jobRow } from "../helpers/d1";
import { SETTINGS, NOW as T0, v1Answer } from "../helpers/decision-inputs";
import { MINUTE } from "../helpers/time";

/** The job as the monitor stored it a minute before T0, and leased for this poll. */
function row(overrides: Partial<JobRow> = {}): JobRow {
  return jobRow({
    jobId: "bjb-1",
    projectId: "p",
    totalItems: 10,
    processedItems: 2,
    failedItems: 0,
    skippedItems: 0,
    progressPercentage: 20,
    upstreamUpdatedAt: "2026-11-28T11:59:00.000Z",
    trackedAt: T0 - 60 * MINUTE,
    lastPolledAt: T0 - MINUTE,
    lastSuccessAt: T0 - MINUTE,
    lastChangeAt: T0 - MINUTE,
    nextPollAt: T0,
    leaseToken: "lease",
    leaseUntil: T0 + 2 * MINUTE,
    ...overrides,
  });
}

/** An answer that repeats the stored row (a minute newer), unless `fields` say otherwise. */
function answer(fields: Record<string, unknown> = {}, progress = 20): PollResult {
  return v1Answer(
    {
      total_items: 10,
      processed_items: 2,
      failed_items: 0,
      updated_at: "2026-11-28T12:00:00.000Z",
      ...fields,
    },
    progress,
  );
}

const serverError: PollResult = {
  ok: false,
  failure: { kind: "server_error", httpStatus: 500, message: "LlamaCloud answered HTTP 500." },
};

function events(previous: JobRow, result: PollResult, now = T0, tracked = false) {
  return raisedEvents(previous, decideOutcome(previous, result, now, SETTINGS), tracked);
}

describe("raisedEvents", () => {
  it("raises nothing for a poll that sees no change", () => {
    expect(events(row(), answer())).toEqual([]);
  });

  it("raises job.tracked for the tracking poll, whatever it saw, with job.finished for a job already done", () => {
    const fresh = row({ status: null, totalItems: null, processedItems: null, progressPercentage: null });
    expect(events(fresh, answer({ status: "running" }), T0, true)).toEqual(["job.tracked"]);
    expect(events(fresh, answer({ status: "completed" }), T0, true)).toEqual(["job.tracked", "job.finished"]);
    expect(events(fresh, serverError, T0, true)).toEqual(["job.tracked"]);
  });

  it("raises job.status_changed for a new status (and not job.progressed with it)", () => {
    expect(events(row(), answer({ status: "paused_for_review", processed_items: 10 }, 100))).toEqual([
      "job.status_changed",
    ]);
  });

  it("raises job.finished beside job.status_changed when the tracking becomes finished, and only then", () => {
    expect(events(row(), answer({ status: "completed", processed_items: 10 }, 100))).toEqual([
      "job.status_changed",
      "job.finished",
    ]);
    // Already finished: a newer terminal answer is applied, but the job did not become finished now.
    const done = row({ status: "completed", state: "finished", nextPollAt: null });
    expect(events(done, answer({ status: "failed" }))).toEqual(["job.status_changed"]);
  });

  it("raises job.status_changed when the first successful poll after failures learns the status", () => {
    const unknown = row({ status: null, processedItems: null, upstreamUpdatedAt: null });
    expect(events(unknown, answer())).toEqual(["job.status_changed"]);
  });

  it("raises job.progressed when a count or the progress moves under the same status", () => {
    expect(events(row(), answer({ processed_items: 3 }, 30))).toEqual(["job.progressed"]);
    expect(events(row(), answer({ failed_items: 1 }))).toEqual(["job.progressed"]);
    expect(events(row(), answer({}, 25))).toEqual(["job.progressed"]);
    expect(events(row(), answer({ total_items: 11 }))).toEqual(["job.progressed"]);
  });

  it("raises nothing for a stale answer, however different it looks", () => {
    const stale = answer(
      { status: "pending", processed_items: 0, updated_at: "2026-11-28T11:00:00.000Z" },
      0,
    );
    expect(events(row(), stale)).toEqual([]);
  });

  it("raises job.stalled once per episode: when stalled_since goes from unset to set", () => {
    const quiet = row({ lastChangeAt: T0 - 31 * MINUTE });
    expect(events(quiet, answer())).toEqual(["job.stalled"]);
    // Still stalled on the next poll: no second event.
    expect(events(row({ lastChangeAt: T0 - 32 * MINUTE, stalledSince: T0 - 32 * MINUTE }), answer())).toEqual(
      [],
    );
    // Moving again ends the episode; stalling again is a new one.
    const moved = decideOutcome(quiet, answer({ processed_items: 3 }, 30), T0, SETTINGS);
    expect(moved.changes.stalledSince).toBeNull();
    expect(raisedEvents(quiet, moved)).toEqual(["job.progressed"]);
  });

  it("raises job.poll_failing at exactly the fifth failure in a row, once per episode", () => {
    const raisedAt = [0, 1, 2, 3, 4, 5, 6, 7].map((before) =>
      events(row({ consecutiveFailures: before }), serverError),
    );
    expect(raisedAt.map((e) => e.includes("job.poll_failing"))).toEqual([
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
    ]);
    // A success resets the count, so a later run of failures is a new episode.
    const recovered = decideOutcome(row({ consecutiveFailures: 9 }), answer(), T0, SETTINGS);
    expect(recovered.changes.consecutiveFailures).toBe(0);
  });

  it("does not count a rate limit as a failure", () => {
    const limited: PollResult = {
      ok: false,
      failure: { kind: "rate_limited", retryAt: T0 + MINUTE, message: "429" },
    };
    expect(events(row({ consecutiveFailures: 4 }), limited)).toEqual([]);
  });

  it("can raise several events from one poll", () => {
    const outcome: PollOutcome = decideOutcome(
      row({ consecutiveFailures: 4, lastChangeAt: T0 - 40 * MINUTE }),
      serverError,
      T0,
      SETTINGS,
    );
    outcome.changes.stalledSince = T0 - 40 * MINUTE;
    expect(raisedEvents(row({ consecutiveFailures: 4 }), outcome)).toEqual([
      "job.stalled",
      "job.poll_failing",
    ]);
  });
});

describe("event bodies", () => {
  it("carry the job after the change and the fields before it", () => {
    const previous = row();
    const outcome = decideOutcome(
      previous,
      answer({ status: "completed", processed_items: 10 }, 100),
      T0,
      SETTINGS,
    );
    const after = jobAfter(previous, outcome.changes);
    const body = eventBody("job.status_changed", previous, after, T0);
    expect(body.type).toBe("job.status_changed");
    expect(body.timestamp).toBe("2026-11-28T12:00:00.000Z");
    expect(body.data.job).toMatchObject({
      id: "bjb-1",
      status: "completed",
      processed_items: 10,
      progress_percentage: 100,
      tracking: { state: "finished", next_poll_at: null },
    });
    expect(body.data.previous).toMatchObject({ status: "running", processed_items: 2, state: "active" });
    expect(eventBody("job.tracked", previous, after, T0, true).data.previous).toBeNull();
  });
});

describe("delivery attempts", () => {
  it("reads any 2xx as delivered, 410 as gone, redirects and the rest as failures", () => {
    expect(classifyAnswer(200).kind).toBe("delivered");
    expect(classifyAnswer(204).kind).toBe("delivered");
    expect(classifyAnswer(299).kind).toBe("delivered");
    expect(classifyAnswer(410).kind).toBe("gone");
    for (const status of [301, 302, 307, 308]) {
      const result = classifyAnswer(status);
      expect(result).toMatchObject({ kind: "failed", statusCode: status });
      expect(result.kind === "failed" && result.error).toMatch(/redirect/);
    }
    expect(classifyAnswer(404).kind).toBe("failed");
    expect(classifyAnswer(500).kind).toBe("failed");
    expect(classifyAnswer(100 + 99).kind).toBe("failed");
  });

  it("tells a timeout from a network failure", () => {
    const timeout = new DOMException("timed out", "TimeoutError");
    expect(classifyThrown(timeout)).toMatchObject({
      kind: "failed",
      statusCode: null,
      error: expect.stringMatching(/15 s/),
    });
    expect(classifyThrown(new TypeError("connection refused"))).toMatchObject({
      error: "Could not reach the receiver: connection refused.",
    });
  });

  it("follows the Standard Webhooks schedule, rounded up to the next tick, then fails", () => {
    const failed = { kind: "failed", statusCode: 500, error: "HTTP 500" } as const;
    const at = T0 + 12_345; // mid-minute
    const expected = [
      5_000,
      5 * MINUTE,
      30 * MINUTE,
      120 * MINUTE,
      300 * MINUTE,
      600 * MINUTE,
      840 * MINUTE,
      1200 * MINUTE,
      1440 * MINUTE,
    ];
    expect(RETRY_DELAYS_MS).toEqual(expected);
    expect(MAX_ATTEMPTS).toBe(10);
    for (let before = 0; before < 9; before++) {
      const next = afterAttempt(before, failed, at);
      expect(next).toEqual({
        status: "pending",
        attempts: before + 1,
        nextAttemptAt: roundUpToTick(at + (expected[before] as number)),
      });
      expect((next.nextAttemptAt as number) % MINUTE).toBe(0);
    }
    expect(afterAttempt(9, failed, at)).toEqual({ status: "failed", attempts: 10, nextAttemptAt: null });
    // A manual retry of a failed delivery is one more attempt.
    expect(afterAttempt(10, failed, at).status).toBe("failed");
    expect(afterAttempt(10, { kind: "delivered", statusCode: 200 }, at).status).toBe("delivered");
  });

  it("rounds the first retry of an attempt made on the minute to the next tick", () => {
    expect(roundUpToTick(T0 + 5_000)).toBe(T0 + MINUTE);
    expect(roundUpToTick(T0)).toBe(T0);
  });

  it("fails at once on 410", () => {
    expect(afterAttempt(0, { kind: "gone", statusCode: 410 }, T0)).toEqual({
      status: "failed",
      attempts: 1,
      nextAttemptAt: null,
    });
  });
});

describe("subscription URLs", () => {
  const refused = [
    "http://hooks.example.com/x",
    "ftp://hooks.example.com/x",
    "not a url",
    "https://user:pass@hooks.example.com/x",
    "https://localhost/x",
    "https://api.localhost/x",
    "https://printer.local/x",
    "https://metadata.google.internal/x",
    "https://intranet/x",
    "https://127.0.0.1/x",
    "https://127.1/x",
    "https://0x7f.0.0.1/x",
    "https://2130706433/x",
    "https://0.0.0.0/x",
    "https://10.1.2.3/x",
    "https://172.16.0.1/x",
    "https://172.31.255.255/x",
    "https://192.168.1.1/x",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.0.1/x",
    "https://224.0.0.1/x",
    "https://255.255.255.255/x",
    "https://[::1]/x",
    "https://[::]/x",
    "https://[fe80::1]/x",
    "https://[fc00::1]/x",
    "https://[fd12:3456::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://[::ffff:10.0.0.1]/x",
    "https://[64:ff9b::a00:1]/x",
    "https://[::ffff:0:169.254.169.254]/x",
    "https://[2002:a9fe:a9fe::]/x",
    "https://[2002:7f00:1::1]/x",
    "https://[2001::1]/x",
    "https://[100::1]/x",
    "https://192.0.2.1/x",
    "https://198.51.100.1/x",
    "https://203.0.113.1/x",
    `https://hooks.example.com/${"a".repeat(2000)}`,
  ];
  it.each(refused)("refuses %s", (url) => {
    expect(checkSubscriptionUrl(url, false).ok).toBe(false);
  });

  const accepted = [
    "https://hooks.example.com/batchwatch",
    "https://hooks.example.com:8443/a?b=c",
    "https://8.8.8.8/x",
    "https://172.32.0.1/x",
    "https://[2606:4700:4700::1111]/x",
    "https://[2002:808:808::1]/x",
    "https://receiver.example.com/hook",
  ];
  it.each(accepted)("accepts %s", (url) => {
    expect(checkSubscriptionUrl(url, false)).toMatchObject({ ok: true });
  });

  it("lets local development use http and local hosts with ALLOW_HTTP_WEBHOOKS", () => {
    expect(checkSubscriptionUrl("http://localhost:8788/hook", true)).toMatchObject({ ok: true });
    expect(checkSubscriptionUrl("http://127.0.0.1:8788/hook", true)).toMatchObject({ ok: true });
    expect(checkSubscriptionUrl("ftp://127.0.0.1/hook", true).ok).toBe(false);
    expect(checkSubscriptionUrl("http://u:p@localhost/hook", true).ok).toBe(false);
  });
});

describe("signing secrets", () => {
  it("are Standard Webhooks secrets: whsec_ and base64 of 32 random bytes", () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(a.slice(6)).length).toBe(32);
    expect(generateSecret()).not.toBe(a);
  });
});

describe("inbound callbacks", () => {
  const encoder = new TextEncoder();
  const body = '{"event_id":"e1","data":{"job_id":"bjb-1"}}';
  const raw = encoder.encode(body).buffer as ArrayBuffer;

  it("accepts exactly the HMAC-SHA256 of the raw body", async () => {
    const header = await signature("s3cret", body);
    expect(await verifyLlamaCloudSignature("s3cret", raw, header)).toBe(true);
    expect(
      await verifyLlamaCloudSignature("s3cret", raw, header.toUpperCase().replace("SHA256", "sha256")),
    ).toBe(true);
    expect(await verifyLlamaCloudSignature("other", raw, header)).toBe(false);
    const reformatted = encoder.encode('{"event_id": "e1", "data": {"job_id": "bjb-1"}}')
      .buffer as ArrayBuffer;
    expect(await verifyLlamaCloudSignature("s3cret", reformatted, header)).toBe(false);
    expect(await verifyLlamaCloudSignature("s3cret", raw, header.replace("sha256=", ""))).toBe(false);
    expect(await verifyLlamaCloudSignature("s3cret", raw, `${header.slice(0, -2)}zz`)).toBe(false);
    expect(await verifyLlamaCloudSignature("s3cret", raw, header.slice(0, -2))).toBe(false);
    expect(await verifyLlamaCloudSignature("s3cret", raw, undefined)).toBe(false);
    expect(await verifyLlamaCloudSignature("s3cret", raw, "")).toBe(false);
  });

  it("reads the event id and the job named by data.job_id or data.id", () => {
    expect(
      readCallback({ event_id: "e1", event_type: "batch.running", data: { job_id: "bjb-1", id: "x" } }, {}),
    ).toEqual({
      eventId: "e1",
      eventType: "batch.running",
      jobId: "bjb-1",
    });
    expect(readCallback({ event_id: "e1", data: { id: "bjb-2" } }, {})?.jobId).toBe("bjb-2");
    expect(readCallback({ event_id: "e1", data: { job_id: 42 } }, {})?.jobId).toBeNull();
    expect(readCallback({ event_id: "e1" }, {})?.jobId).toBeNull();
    expect(readCallback({ data: {} }, { eventId: "from-header", eventType: "t" })).toMatchObject({
      eventId: "from-header",
      eventType: "t",
    });
    expect(readCallback({ data: {} }, {})).toBeNull();
    expect(readCallback([1, 2], { eventId: "e" })).toBeNull();
    expect(readCallback("text", { eventId: "e" })).toBeNull();
    expect(readCallback({ event_id: "" }, {})).toBeNull();
  });
});
