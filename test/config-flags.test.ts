// Boolean vars (PUBLIC_READ, ALLOW_HTTP_WEBHOOKS) as operators actually write them.
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Bindings, readConfig } from "../src/config";

const env = (vars: Partial<Bindings>) => ({ DB: {} as D1Database, ...vars }) as Bindings;

describe("boolean vars", () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(["true", "TRUE", "True", " true", "true\n", "\ttRuE "])("read %j as true", (value) => {
    const config = readConfig(env({ PUBLIC_READ: value, ALLOW_HTTP_WEBHOOKS: value }));
    expect(config.publicRead).toBe(true);
    expect(config.allowHttpWebhooks).toBe(true);
  });

  it.each(["false", "FALSE", " False ", ""])("read %j as false without a warning", (value) => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(readConfig(env({ PUBLIC_READ: value })).publicRead).toBe(false);
    expect(warn).not.toHaveBeenCalled();
  });

  it("count anything else as false and warn once for it, not once per read", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    for (let i = 0; i < 5; i++) {
      expect(readConfig(env({ PUBLIC_READ: "yes" })).publicRead).toBe(false);
      expect(readConfig(env({ ALLOW_HTTP_WEBHOOKS: "1" })).allowHttpWebhooks).toBe(false);
    }
    expect(warn).toHaveBeenCalledTimes(2);
    const messages = warn.mock.calls.map(
      (call) => (JSON.parse(String(call[0])) as { message: string }).message,
    );
    expect(messages[0]).toContain("PUBLIC_READ");
    expect(messages[0]).toContain('"yes"');
    expect(messages[1]).toContain("ALLOW_HTTP_WEBHOOKS");
  });
});
