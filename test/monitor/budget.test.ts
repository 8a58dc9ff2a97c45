// The invocation budget's rules on their own (the ticks that spend it: plans.test.ts).
import { describe, expect, it } from "vitest";
import { PLAN_LIMITS } from "../../src/config";
import { invocationBudget } from "../../src/monitor/budget";
import { discoveryShare } from "../../src/monitor/tick";
import { deliveryClaimLimit } from "../../src/notifications/deliver";

describe("invocationBudget", () => {
  it("caps upstream requests, and upstream and deliveries together at the plan's subrequests", () => {
    const budget = invocationBudget(PLAN_LIMITS.free, 40);
    for (let i = 0; i < 40; i++) expect(budget.take()).toBe(true);
    expect(budget.take()).toBe(false);
    expect(budget.available).toBe(false);
    expect(budget.subrequestsLeft).toBe(10);
    for (let i = 0; i < 10; i++) expect(budget.takeDelivery()).toBe(true);
    expect(budget.takeDelivery()).toBe(false);
    expect(budget.subrequests).toBe(50);
  });

  it("lets deliveries spend what upstream did not, never past the subrequests", () => {
    const budget = invocationBudget(PLAN_LIMITS.free, 50);
    for (let i = 0; i < 45; i++) budget.takeDelivery();
    expect(budget.left).toBe(5);
    for (let i = 0; i < 5; i++) expect(budget.take()).toBe(true);
    expect(budget.take()).toBe(false);
  });

  it("counts D1 queries per statement on Free and per round trip on Paid", () => {
    expect(invocationBudget(PLAN_LIMITS.free).queryCost(7, 2)).toBe(7);
    expect(invocationBudget(PLAN_LIMITS.paid).queryCost(7, 2)).toBe(2);
  });

  it("takes D1 queries only while `keep` stays left, and counts forced charges", () => {
    const budget = invocationBudget(PLAN_LIMITS.free);
    expect(budget.takeQueries(40, 10)).toBe(true);
    expect(budget.takeQueries(1, 10)).toBe(false);
    expect(budget.queries).toBe(40);
    budget.chargeQueries(10);
    expect(budget.queriesLeft).toBe(0);
  });
});

describe("a tick's shares", () => {
  it("claims deliveries for what is left above the keep, one statement each beside 7 fixed ones", () => {
    const free = invocationBudget(PLAN_LIMITS.free);
    free.takeQueries(30);
    free.take();
    // 20 statements left, 6 kept, 7 fixed: 7 attempts.
    expect(deliveryClaimLimit(free, 6)).toBe(7);
    free.takeQueries(10);
    expect(deliveryClaimLimit(free, 6)).toBe(0);
    // Paid: the subrequests and the per-tick cap decide, not statements.
    expect(deliveryClaimLimit(invocationBudget(PLAN_LIMITS.paid), 6)).toBe(200);
  });

  it("lets discovery take a request only with its statements above the keep", () => {
    const budget = invocationBudget(PLAN_LIMITS.free);
    budget.takeQueries(20);
    const share = discoveryShare(budget, 12, () => 5);
    expect(share.left).toBe(2);
    expect(share.take()).toBe(true);
    expect(share.take()).toBe(true);
    expect(share.take()).toBe(false);
    expect(budget.queriesLeft).toBe(6);
    expect(budget.used).toBe(2);
  });
});
