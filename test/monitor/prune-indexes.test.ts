// The tick's own retention clean-up (old snapshots, old tick records) is answered from indexes: both
// tables grow by the minute, and the prune runs with every tick.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { database } from "../../src/db/client";
import { pruneStatements } from "../../src/db/prune";
import { expectIndexed } from "../helpers/query-plans";

describe("the tick's prune uses indexes", () => {
  it("never scans the snapshots or ticks tables", async () => {
    await expectIndexed(pruneStatements(database(env.DB), { now: Date.now(), retentionDays: 90 }), [
      "snapshots",
      "ticks",
    ]);
  });
});
