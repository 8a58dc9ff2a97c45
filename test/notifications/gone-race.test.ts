// A 410 disables a subscription and fails its pending deliveries. An attempt to the same subscription
// that was already in flight finishes afterwards: it must not put its delivery back to pending, where
// nothing would ever send or fail it again.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { runGroups } from "../../src/db/batch";
import { database } from "../../src/db/client";
import { deliveries, events, subscriptions } from "../../src/db/schema";
import { resultStatements } from "../../src/notifications/deliver";
import { resetDatabase } from "../helpers/d1";

const db = database(env.DB);
const now = Date.now();

async function seed() {
  await db.batch([
    db
      .insert(subscriptions)
      .values({ id: "sub_1", url: "https://hooks.example.com/x", secret: "whsec_x", createdAt: now }),
    db
      .insert(events)
      .values({ id: "evt_1", type: "job.progressed", jobId: "bjb-1", createdAt: now, payload: "{}" }),
    db.insert(deliveries).values([
      {
        id: "msg_a",
        eventId: "evt_1",
        subscriptionId: "sub_1",
        createdAt: now,
        claimToken: "tick-a",
        claimUntil: now + 60_000,
      },
      {
        id: "msg_b",
        eventId: "evt_1",
        subscriptionId: "sub_1",
        createdAt: now,
        claimToken: "tick-b",
        claimUntil: now + 60_000,
      },
    ]),
  ]);
}

describe("410 while another attempt is in flight", () => {
  beforeEach(resetDatabase);

  it("fails the other delivery instead of leaving it pending forever", async () => {
    await seed();
    const gone = { kind: "gone", statusCode: 410 } as const;
    const failed = { kind: "failed", statusCode: 503, error: "HTTP 503" } as const;
    // msg_a's answer (410) is written first, then msg_b's (503), as two overlapping senders would.
    await runGroups(db, [
      resultStatements(db, { id: "msg_a", attempts: 0, subscriptionId: "sub_1" }, gone, {
        now,
        token: "tick-a",
      }),
    ]);
    await runGroups(db, [
      resultStatements(db, { id: "msg_b", attempts: 0, subscriptionId: "sub_1" }, failed, {
        now,
        token: "tick-b",
      }),
    ]);

    const rows = await db
      .select({ id: deliveries.id, status: deliveries.status, next: deliveries.nextAttemptAt })
      .from(deliveries);
    expect(rows.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: "msg_a", status: "failed", next: null },
      { id: "msg_b", status: "failed", next: null },
    ]);
  });

  it("still schedules a retry while the subscription is enabled", async () => {
    await seed();
    const failed = { kind: "failed", statusCode: 503, error: "HTTP 503" } as const;
    await runGroups(db, [
      resultStatements(db, { id: "msg_b", attempts: 0, subscriptionId: "sub_1" }, failed, {
        now,
        token: "tick-b",
      }),
    ]);
    const [row] = await db.select().from(deliveries).where(eq(deliveries.id, "msg_b"));
    expect(row?.status).toBe("pending");
    expect(row?.nextAttemptAt).toBeGreaterThan(now);
  });
});
