import { describe, expect, it } from "vitest";
import { type Bindings, readConfig } from "../src/config";

const env = (vars: Partial<Bindings>) => ({ DB: {} as D1Database, ...vars }) as Bindings;

describe("readConfig", () => {
  it("applies the documented defaults", () => {
    expect(readConfig(env({}))).toMatchObject({
      llamaCloudBaseUrl: "https://api.cloud.llamaindex.ai",
      publicRead: false,
      allowHttpWebhooks: false,
      pollIntervalSeconds: 60,
      stallAfterMinutes: 30,
      historyRetentionDays: 90,
      workersPlan: "paid",
      maxPollsPerTick: 5_000,
      adminToken: undefined,
    });
  });

  it("treats blank secrets as unset, so a blank ADMIN_TOKEN never opens writes", () => {
    expect(readConfig(env({ ADMIN_TOKEN: "  ", READ_TOKEN: "" })).adminToken).toBeUndefined();
    expect(readConfig(env({ ADMIN_TOKEN: "  ", READ_TOKEN: "" })).readToken).toBeUndefined();
  });

  it("only opens reads for true (any case, see config-flags.test.ts), never for other values", () => {
    expect(readConfig(env({ PUBLIC_READ: "true" })).publicRead).toBe(true);
    expect(readConfig(env({ PUBLIC_READ: "1" })).publicRead).toBe(false);
    expect(readConfig(env({ PUBLIC_READ: "yes" })).publicRead).toBe(false);
  });

  it.each([
    ["10", 10],
    ["0", 5_000],
    ["0.5", 5_000],
    ["-3", 5_000],
    ["lots", 5_000],
    ["12.9", 12],
    // The override sizes polls; it cannot lift the plan's subrequest limit.
    ["20000", 10_000],
  ])("reads MAX_POLLS_PER_TICK %j as %i", (value, expected) => {
    expect(readConfig(env({ MAX_POLLS_PER_TICK: value })).maxPollsPerTick).toBe(expected);
  });

  it.each([
    [undefined, "paid", 5_000],
    ["free", "free", 40],
    [" FREE ", "free", 40],
    ["paid", "paid", 5_000],
    ["enterprise", "paid", 5_000],
  ])("reads WORKERS_PLAN %j as %s with %i upstream requests a tick", (value, plan, polls) => {
    const config = readConfig(env({ WORKERS_PLAN: value }));
    expect(config.workersPlan).toBe(plan);
    expect(config.maxPollsPerTick).toBe(polls);
  });

  it("keeps MAX_POLLS_PER_TICK inside the Free plan's 50 subrequests", () => {
    expect(readConfig(env({ WORKERS_PLAN: "free", MAX_POLLS_PER_TICK: "30" })).maxPollsPerTick).toBe(30);
    expect(readConfig(env({ WORKERS_PLAN: "free", MAX_POLLS_PER_TICK: "500" })).maxPollsPerTick).toBe(50);
    expect(readConfig(env({ WORKERS_PLAN: "free" })).planLimits).toEqual({
      subrequests: 50,
      upstream: 40,
      queries: 50,
      queryUnit: "statement",
    });
  });

  it("reads POLL_SCHEDULE: steady unless it says predictive, in any case", () => {
    expect(readConfig(env({})).pollSchedule).toBe("steady");
    expect(readConfig(env({ POLL_SCHEDULE: " Predictive " })).pollSchedule).toBe("predictive");
    expect(readConfig(env({ POLL_SCHEDULE: "fast" })).pollSchedule).toBe("steady");
  });

  it("drops a trailing slash from the base URL", () => {
    expect(
      readConfig(env({ LLAMA_CLOUD_BASE_URL: "https://api.cloud.eu.llamaindex.ai/" })).llamaCloudBaseUrl,
    ).toBe("https://api.cloud.eu.llamaindex.ai");
  });
});
