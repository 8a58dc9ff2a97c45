// Slack and Discord subscriptions end to end: a real `wrangler dev`, a job in the simulator whose
// status really changes, the cron tick that sees it, and the simulator's receiver standing in for
// Slack's and Discord's webhook endpoints. Each must get one readable, unsigned message for it.
import { describe, expect, it } from "vitest";
import type { ReceivedRequest, ReceiverControl } from "../../sim/control";
import type { DiscordMessage } from "../../src/notifications/discord";
import type { SlackMessage } from "../../src/notifications/slack";
import { eventually, useStack } from "./harness";

// Receivers here are plain http on loopback, which only local development allows.
const { stack, sim, api, tickWhenDue, receiver } = useStack({
  vars: { POLL_INTERVAL_SECONDS: "1", ALLOW_HTTP_WEBHOOKS: "true" },
});

async function subscribe(url: string, format: "slack" | "discord") {
  const res = await api("/api/subscriptions", {
    method: "POST",
    json: { url, format, job_id: "bjb-e2e-chat", events: ["job.status_changed"] },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const { subscription } = (await res.json()) as { subscription: { format: string } };
  expect(subscription.format).toBe(format);
}

async function onlyRequest(r: ReceiverControl): Promise<ReceivedRequest> {
  const requests = await eventually(async () => {
    const got = await r.requests();
    return got.length > 0 ? got : undefined;
  });
  expect(requests).toHaveLength(1);
  const [request] = requests;
  if (!request) throw new Error("no request");
  // Chat messages are not signed: the URL is the secret.
  expect(Object.keys(request.headers).filter((h) => h.startsWith("webhook-"))).toEqual([]);
  expect(request.headers["content-type"]).toBe("application/json");
  return request;
}

describe("Slack and Discord messages under wrangler dev", () => {
  it("each get a readable message for a real status change seen by the tick", async () => {
    const slack = receiver("e2e-slack");
    const discord = receiver("e2e-discord");
    await subscribe(slack.url(), "slack");
    await subscribe(discord.url(), "discord");
    await sim().createJob({ id: "bjb-e2e-chat", mode: "manual", total_items: 40, start_at: "running" });
    const tracked = await api("/api/jobs", {
      method: "POST",
      json: { job_id: "bjb-e2e-chat", label: "Invoices Q3" },
    });
    expect(tracked.status).toBe(201);

    await sim().advance("bjb-e2e-chat", { to: "end" });
    await tickWhenDue(); // sees completed, raises job.status_changed and makes the first attempts

    const link = `${stack().url}/jobs/bjb-e2e-chat`; // the origin the subscriptions were created through
    const slackBody = JSON.parse((await onlyRequest(slack)).body) as SlackMessage;
    const discordBody = JSON.parse((await onlyRequest(discord)).body) as DiscordMessage;
    // Shown in the test output: what the two channels would display.
    console.log(`Slack message:\n${JSON.stringify(slackBody, null, 2)}`);
    console.log(`Discord message:\n${JSON.stringify(discordBody, null, 2)}`);

    expect(slackBody.text).toBe(
      `*Invoices Q3* is now *completed* (was running). <${link}|Open in batchwatch>`,
    );
    expect(slackBody.blocks[0]).toMatchObject({
      type: "section",
      text: {
        type: "mrkdwn",
        text: expect.stringMatching(/^\*Invoices Q3\* is now \*completed\*.*\n40 of 40 processed/),
      },
    });
    expect(discordBody).toMatchObject({
      content: "**Invoices Q3** is now **completed** (was running).",
      embeds: [
        { title: "Invoices Q3", url: link, description: expect.stringMatching(/^40 of 40 processed/) },
      ],
      allowed_mentions: { parse: [] },
    });
  });
});
