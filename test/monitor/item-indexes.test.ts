// Every items query a poll runs is answered from an index: SQLite's own plan for the exact SQL drizzle
// generates never scans the jobs or items tables, however many files the tracked batches have.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { database, type Statement } from "../../src/db/client";
import {
  claimedItemsStatement,
  deleteItemsStatement,
  itemUpsertStatements,
  jobItemsStatement,
} from "../../src/db/items";
import { expectIndexed } from "../helpers/query-plans";

describe("items queries use indexes", () => {
  const db = database(env.DB);
  const now = Date.now();
  const item = {
    itemId: "f1",
    name: "a.pdf",
    status: "running",
    errorMessage: null,
    childJobId: "pjb-1",
    childType: "parse_v2",
    updatedAt: null,
    settled: false,
  };
  const cases: [string, () => Statement[]][] = [
    ["the items of the jobs a tick claimed", () => [claimedItemsStatement(db, { token: "t", now })]],
    ["the items of one job being polled", () => [jobItemsStatement(db, "bat-1")]],
    ["a poll's item upserts", () => itemUpsertStatements(db, "bat-1", [item], { token: "t", now })],
    ["deleting a job's items", () => [deleteItemsStatement(db, "bat-1")]],
  ];

  it.each(cases)("%s", async (_, build) => {
    await expectIndexed(build(), ["jobs", "items"]);
  });
});
