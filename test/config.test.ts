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
      maxPollsPerTick: 500,
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
    ["0", 500],
    ["0.5", 500],
    ["-3", 500],
    ["lots", 500],
    ["12.9", 12],
  ])("reads MAX_POLLS_PER_TICK %j as %i", (value, expected) => {
    expect(readConfig(env({ MAX_POLLS_PER_TICK: value })).maxPollsPerTick).toBe(expected);
  });

  it("drops a trailing slash from the base URL", () => {
    expect(
      readConfig(env({ LLAMA_CLOUD_BASE_URL: "https://api.cloud.eu.llamaindex.ai/" })).llamaCloudBaseUrl,
    ).toBe("https://api.cloud.eu.llamaindex.ai");
  });
});
