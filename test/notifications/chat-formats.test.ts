// Slack and Discord subscriptions through the real app, the real outbox and scheduled handler, a real
// local D1 and the simulator's receiver: what the subscription shows, which bodies arrive (unsigned,
// in the platform's shape, linking to the job page), and that retries and 410 work as for standard.
import { beforeEach, describe, expect, it } from "vitest";
import type { ReceivedRequest } from "../../sim/control";
import type { DiscordMessage } from "../../src/notifications/discord";
import type { SlackMessage } from "../../src/notifications/slack";
import { admin, client, expectError, expectJson, type World, world } from "../helpers/app";
import { countRows, resetDatabase } from "../helpers/d1";
import { trackRunning } from "../helpers/jobs";
import { tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream } from "../helpers/upstream";
import { deliveriesOf, receiver, type SubscribeBody, subscribe } from "./helpers";

function bodies<T>(requests: ReceivedRequest[]): T[] {
  return requests.map((r) => JSON.parse(r.body) as T);
}

/** No Standard Webhooks header on a chat message: its URL is the secret. */
function expectUnsigned(requests: ReceivedRequest[]) {
  for (const request of requests) {
    expect(request.headers["content-type"]).toBe("application/json");
    expect(Object.keys(request.headers).filter((h) => h.startsWith("webhook-"))).toEqual([]);
  }
}

/**
 * A job's life seen by one chat subscription: tracked with `label`, then finished upstream and
 * polled by the next tick. Answers the subscription and the unsigned requests its receiver got.
 */
async function chatLife(w: World, body: Omit<SubscribeBody, "url">, jobId: string, label: string) {
  const r = receiver(jobId);
  const sub = await subscribe(w, { url: r.url(), ...body });
  const t0 = Date.now();
  await trackRunning(w, jobId, { label });
  await upstream(w).advance(jobId, { to: "end" });
  await tick(w, t0 + 2 * MINUTE);
  const requests = await r.requests();
  expectUnsigned(requests);
  return { sub, requests };
}

describe("chat formats", () => {
  beforeEach(resetDatabase);

  it("shows the format of each subscription and defaults to standard", async () => {
    const w = world("formats-shown");
    const slack = await subscribe(w, { url: "https://hooks.slack.com/services/T0/B0/x", format: "slack" });
    const standard = await subscribe(w, { url: "https://hooks.example.com/std" });
    expect(slack.format).toBe("slack");
    expect(standard.format).toBe("standard");
    const list = await expectJson(client(w).api.subscriptions.$get({ query: {} }), 200);
    expect(list.subscriptions.map((s) => [s.id, s.format])).toEqual([
      [standard.id, "standard"],
      [slack.id, "slack"],
    ]);
  });

  it.each([["teams"], ["SLACK"], [""], [7]])(
    "refuses format %j with 400 and stores nothing",
    async (format) => {
      const w = world("formats-bad");
      const res = await admin(w, "/api/subscriptions", {
        method: "POST",
        json: { url: "https://hooks.slack.com/services/T0/B0/x", format },
      });
      const error = await expectError(res, 400, "validation_error");
      expect(error.message).toMatch(/^format/);
      expect(await countRows("subscriptions")).toBe(0);
    },
  );

  it("a Slack subscription gets unsigned Slack messages linking to the origin it was created through", async () => {
    const w = world("slack-life");
    const { sub, requests } = await chatLife(
      w,
      { format: "slack", events: ["job.tracked", "job.status_changed"] },
      "bjb-slack",
      "Q3 <invoices> & co",
    );
    const [tracked, changed] = bodies<SlackMessage>(requests);
    const link = "<http://batchwatch.test/jobs/bjb-slack|Open in batchwatch>";
    expect(tracked?.text).toBe(`Now watching *Q3 &lt;invoices&gt; &amp; co*: running. ${link}`);
    expect(changed?.text).toBe(`*Q3 &lt;invoices&gt; &amp; co* is now *completed* (was running). ${link}`);
    expect(changed?.blocks[0]).toEqual({
      type: "section",
      text: {
        type: "mrkdwn",
        text: expect.stringMatching(
          /is now \*completed\* \(was running\)\.\n100 of 100 processed, \d+ failed/,
        ),
      },
    });
    expect((await deliveriesOf(w, sub.id)).map((d) => [d.event_type, d.status, d.attempts])).toEqual([
      ["job.status_changed", "delivered", 1],
      ["job.tracked", "delivered", 1],
    ]);
  });

  it("a Discord subscription links to PUBLIC_BASE_URL when it is set, and mentions nobody", async () => {
    const w = world("discord-life", { PUBLIC_BASE_URL: " https://batchwatch.acme.dev/ " });
    const { requests } = await chatLife(
      w,
      { format: "discord", events: ["job.status_changed"] },
      "bjb-discord",
      "@everyone Q3",
    );
    expect(bodies<DiscordMessage>(requests)).toEqual([
      {
        content: "**@everyone Q3** is now **completed** (was running).",
        embeds: [
          expect.objectContaining({
            title: "@everyone Q3",
            url: "https://batchwatch.acme.dev/jobs/bjb-discord",
            description: expect.stringMatching(/^100 of 100 processed/),
          }),
        ],
        allowed_mentions: { parse: [] },
      },
    ]);
  });

  it("retries a chat message with the same body and disables the subscription on 410", async () => {
    const w = world("chat-retry");
    const r = receiver("chat-retry");
    const sub = await subscribe(w, { url: r.url(), format: "slack", events: ["job.tracked"] });
    await r.script([{ status: 500 }, { status: 410 }]);
    await trackRunning(w, "bjb-chat-retry");

    const [first] = await deliveriesOf(w, sub.id);
    expect(first).toMatchObject({ status: "pending", attempts: 1, last_status_code: 500 });
    await tick(w, Date.parse(first?.next_attempt_at ?? ""));
    const [gone] = await deliveriesOf(w, sub.id);
    expect(gone).toMatchObject({ status: "failed", attempts: 2, last_status_code: 410 });

    const requests = await r.requests();
    expect(requests).toHaveLength(2);
    expect(requests[0]?.body).toBe(requests[1]?.body);
    const list = await expectJson(client(w).api.subscriptions.$get({ query: {} }), 200);
    expect(list.subscriptions[0]).toMatchObject({ id: sub.id, disabled_at: expect.any(String) });
  });
});
