// The subscription URL guard against spellings of internal hosts: trailing dots and reserved names.
import { describe, expect, it } from "vitest";
import { checkSubscriptionUrl } from "../../src/notifications/urls";

describe("subscription URLs naming internal hosts", () => {
  const refused = [
    "https://localhost../",
    "https://localhost.../hook",
    "https://LOCALHOST./hook",
    "https://api.localhost../hook",
    "https://127.0.0.1../hook",
    "https://10.0.0.8.../hook",
    "https://receiver.test/hook",
    "https://receiver.test./hook",
    "https://hooks.invalid/hook",
    "https://printer.local../hook",
    "https://metadata.google.internal./hook",
    "https://nas.lan/hook",
    "https://router.home.arpa/hook",
    "https://home.arpa/hook",
    "https://git.corp/hook",
    "https://intranet./hook",
    "https://test./hook",
  ];
  it.each(refused)("refuses %s", (url) => {
    expect(checkSubscriptionUrl(url, false)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/public host/),
    });
  });

  const accepted = [
    "https://hooks.example.com./batchwatch",
    "https://hooks.slack.com/services/T0/B0/x",
    "https://discord.com/api/webhooks/1/x",
    "https://latest.com/x",
    "https://corporate.example/x",
    "https://testing.dev/x",
  ];
  it.each(accepted)("accepts %s", (url) => {
    expect(checkSubscriptionUrl(url, false)).toMatchObject({ ok: true });
  });
});
