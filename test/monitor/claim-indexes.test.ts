// The claims a tick makes (due jobs, due watches, jobs given back) and what a callback looks up
// (the event seen before, the minute's count, the batch of a child job) are answered from indexes:
// SQLite's own plan for the exact SQL drizzle generates never scans the growing tables.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { callbacksSinceQuery, parentOfChildQuery, seenStatement } from "../../src/db/callbacks";
import { dueJobIds, makeDueStatement, releaseJobsStatements } from "../../src/db/claims";
import { database, type Statement } from "../../src/db/client";
import { claimDueWatchesStatement, knownJobIdsStatements } from "../../src/db/watches";
import { expectIndexed } from "../helpers/query-plans";

const GROWING = ["jobs", "watches", "items", "inbound_events", "dismissed_jobs"];

describe("claim and callback queries use indexes", () => {
  const db = database(env.DB);
  const now = Date.now();
  const ids = Array.from({ length: 1_500 }, (_, i) => `bjb-${i}`);
  const cases: [string, () => Statement[]][] = [
    ["the due jobs a tick claims", () => [dueJobIds(db, { now, limit: 200 })]],
    [
      "the due watches a tick claims",
      () => [claimDueWatchesStatement(db, { now, limit: 10, token: "t", leaseUntil: now })],
    ],
    ["claimed jobs given back", () => releaseJobsStatements(db, ids, "t")],
    ["a callback making one job due", () => [makeDueStatement(db, now, "bjb-1")]],
    ["a callback's event seen before", () => [seenStatement(db, "evt-1")]],
    ["a callback's count of the last minute", () => [callbacksSinceQuery(db, now - 60_000)]],
    ["the batch of a child job named by a callback", () => [parentOfChildQuery(db, "pjb-1")]],
    ["a scan's lookup of the listed ids", () => knownJobIdsStatements(db, ids)],
  ];

  it.each(cases)("%s", async (_, build) => {
    await expectIndexed(build(), GROWING);
  });
});
