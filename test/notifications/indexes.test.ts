// Every notification query the tick or a route runs is answered from an index: SQLite's own query
// plan for the exact SQL drizzle generates never scans the growing tables.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { makeDueStatement } from "../../src/db/claims";
import { database, type Statement } from "../../src/db/client";
import { claimDeliveries, ofJobSince, onlyDelivery } from "../../src/db/deliveries";
import { fanOutStatement } from "../../src/db/outbox";
import { notificationPruneStatements } from "../../src/db/prune";
import { resultStatements } from "../../src/notifications/deliver";
import { expectIndexed } from "../helpers/query-plans";

const GROWING = ["deliveries", "events", "inbound_events", "jobs"];

describe("notification queries use indexes", () => {
  const db = database(env.DB);
  const now = Date.now();
  const cases: [string, () => Statement[]][] = [
    ["the tick's delivery claim and read", () => claimDeliveries(db, { now, limit: 200 }).statements],
    [
      "a route's first-attempt claim",
      () => claimDeliveries(db, { now, limit: 50, filter: ofJobSince(db, "bjb-1", now) }).statements,
    ],
    [
      "a manual retry's claim",
      () => claimDeliveries(db, { now, limit: 1, filter: onlyDelivery("msg_1") }).statements,
    ],
    ["the outbox fan-out", () => [fanOutStatement(db, "evt_1", now)]],
    [
      "an attempt's result, 410 included",
      () =>
        resultStatements(
          db,
          { id: "msg_1", attempts: 0, subscriptionId: "sub_1" },
          { kind: "gone", statusCode: 410 },
          {
            now,
            token: "t",
          },
        ),
    ],
    ["a callback making one job due", () => [makeDueStatement(db, now, "bjb-1")]],
    ["the retention clean-up", () => notificationPruneStatements(db, { now, historyRetentionDays: 90 })],
  ];

  it.each(cases)("%s", async (_, build) => {
    await expectIndexed(build(), GROWING);
  });
});
