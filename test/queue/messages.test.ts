// The producer's pure side: how claimed jobs become messages and sendBatch calls inside Cloudflare
// Queues' limits (128 KB a message, 100 messages or 256 KB a sendBatch), and which bodies the
// consumer accepts.
import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";
import { readMessages } from "../../src/monitor/consume";
import { JOBS_PER_MESSAGE, jobsPerMessage, pollMessages, sendBatches } from "../../src/monitor/queue";
import { world } from "../helpers/app";

const lease = { token: "lease-token", at: 1_700_000_000_000 };
const ids = (n: number, width = 0) =>
  Array.from({ length: n }, (_, i) => `bjb-${String(i).padStart(width, "0")}`);
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

describe("poll messages", () => {
  it("carries many jobs a message, in claim order, each with the tick's lease", () => {
    const messages = pollMessages(ids(250), lease);
    expect(messages.map((m) => m.jobIds.length)).toEqual([100, 100, 50]);
    expect(messages.flatMap((m) => m.jobIds)).toEqual(ids(250));
    for (const message of messages) expect(message).toMatchObject(lease);
    expect(JOBS_PER_MESSAGE).toBe(100);
  });

  it("never lets a message pass 128 KB, however long the ids", () => {
    const long = ids(600, 500);
    const messages = pollMessages(long, lease, 10_000);
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) expect(bytes(message)).toBeLessThanOrEqual(128_000);
    expect(messages.flatMap((m) => m.jobIds)).toEqual(long);
  });

  it("makes nothing of nothing", () => {
    expect(pollMessages([], lease)).toEqual([]);
    expect(sendBatches([])).toEqual([]);
  });

  it("sends at most 100 messages and 256 KB a sendBatch", () => {
    const small = pollMessages(ids(25_000), lease);
    expect(sendBatches(small).map((b) => b.length)).toEqual([100, 100, 50]);
    const big = pollMessages(ids(1_200, 500), lease, 200);
    const batches = sendBatches(big);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(100);
      expect(batch.reduce((n, m) => n + bytes(m), 0)).toBeLessThanOrEqual(256_000);
    }
    expect(batches.flat()).toEqual(big);
  });

  it("holds no more jobs than one invocation can poll", () => {
    expect(jobsPerMessage(readConfig(world("per-message", { MAX_POLLS_PER_TICK: "10" }).env))).toBe(10);
    expect(jobsPerMessage(readConfig(world("per-message", { MAX_POLLS_PER_TICK: "5000" }).env))).toBe(100);
    // Free counts every D1 statement: fewer jobs than its 40 upstream requests could poll.
    expect(jobsPerMessage(readConfig(world("per-message", { WORKERS_PLAN: "free" }).env))).toBe(10);
  });
});

describe("reading messages", () => {
  it("keeps poll messages and drops what is not one", () => {
    const good = { ...lease, jobIds: ["bjb-1", "bjb-2"] };
    expect(
      readMessages([
        good,
        null,
        "bjb-1",
        { ...lease, jobIds: [] },
        { at: lease.at, jobIds: ["bjb-1"] },
        { ...lease, at: "now", jobIds: ["bjb-1"] },
      ]),
    ).toEqual([good]);
  });
});
