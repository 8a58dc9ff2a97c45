// The chat formats as pure functions: what a Slack and a Discord message say for each event, how
// outside text is neutralised on each platform, the links, the platforms' size limits, and which
// format is signed. Events are built with the real eventBody from stored job rows.
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { JobRow } from "../../src/db/schema";
import type { EventType } from "../../src/model";
import { discordMessage, escapeDiscord } from "../../src/notifications/discord";
import { eventBody } from "../../src/notifications/events";
import { type DeliveryContent, deliveryRequest } from "../../src/notifications/formats";
import { type ChatEvent, readStoredEvent } from "../../src/notifications/messages";
import { escapeSlack, slackMessage } from "../../src/notifications/slack";
import { jobRow } from "../helpers/d1";

const NOW = Date.parse("2026-11-28T12:00:00.000Z");
const BASE = "https://batchwatch.acme.dev";

/** A stored event payload as the outbox writes it, optionally with `job.finished`'s failed files. */
function payload(
  type: EventType,
  after: Partial<JobRow> = {},
  before: Partial<JobRow> = {},
  failedItems?: { name: string | null; error_message: string | null }[],
): string {
  const previous = jobRow({ jobId: "bjb-1", label: "Invoices Q3", ...before }, NOW);
  const next = jobRow({ jobId: "bjb-1", label: "Invoices Q3", ...after }, NOW);
  const body = eventBody(type, previous, next, NOW, type === "job.tracked");
  return JSON.stringify(failedItems ? { ...body, data: { ...body.data, failed_items: failedItems } } : body);
}

function event(...args: Parameters<typeof payload>): ChatEvent {
  const read = readStoredEvent(payload(...args));
  if (!read) throw new Error("the stored event did not read back");
  return read;
}

/** Everything a Slack message shows, as one string. */
function slackText(e: ChatEvent, base: string | null = BASE): string {
  const m = slackMessage(e, base);
  return [m.text, ...m.blocks.flatMap((b) => ("text" in b && b.text ? [b.text.text] : []))].join("\n");
}

describe("Slack messages", () => {
  it("say what happened, to which job, with status, counts and a link", () => {
    const m = slackMessage(
      event("job.status_changed", { status: "completed", processedItems: 97 }, { status: "running" }),
      BASE,
    );
    expect(m.text).toBe(
      "*Invoices Q3* is now *completed* (was running). <https://batchwatch.acme.dev/jobs/bjb-1|Open in batchwatch>",
    );
    expect(m.blocks).toEqual([
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: "*Invoices Q3* is now *completed* (was running).\n97 of 100 processed, 2 failed, 1 skipped (43%).",
        },
      },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: "<https://batchwatch.acme.dev/jobs/bjb-1|Open in batchwatch> · job `bjb-1`",
          },
        ],
      },
    ]);
  });

  it.each<[EventType, Partial<JobRow>, string]>([
    ["job.tracked", {}, "Now watching *Invoices Q3*: running."],
    ["job.progressed", {}, "*Invoices Q3* moved on: running."],
    [
      "job.stalled",
      { stalledSince: NOW - 3_600_000 },
      "*Invoices Q3* looks stalled: running, nothing has changed since 2026-11-28 11:00 UTC.",
    ],
    [
      "job.poll_failing",
      {
        consecutiveFailures: 5,
        lastErrorCode: "upstream_error",
        lastErrorMessage: "LlamaCloud answered HTTP 503.",
        lastErrorAt: NOW,
      },
      "batchwatch cannot poll *Invoices Q3* (5 failures in a row): LlamaCloud answered HTTP 503.",
    ],
    ["job.finished", { status: "failed", state: "finished" }, "*Invoices Q3* finished: *failed*."],
  ])("%s has its own line", (type, after, line) => {
    expect(slackMessage(event(type, after), BASE).text).toBe(
      `${line} <${BASE}/jobs/bjb-1|Open in batchwatch>`,
    );
  });

  it("names a job without a label by its id, and says when there are no counts yet", () => {
    const text = slackText(
      event("job.tracked", { label: null, totalItems: null, processedItems: null, status: null }),
    );
    expect(text).toContain("Now watching *bjb-1*: not known yet.");
    expect(text).toContain("No counts yet.");
  });

  it("escapes &, < and > from labels, statuses and errors, so nothing becomes a mention or a link", () => {
    const e = event(
      "job.finished",
      { label: "<!channel> Q3 & <@U024BE7LH> <https://evil.test|click>", status: "<!here>" },
      {},
      [{ name: "a<b>.pdf", error_message: "bad & <!everyone>" }],
    );
    const text = slackText(e);
    expect(text).toContain("&lt;!channel&gt; Q3 &amp; &lt;@U024BE7LH&gt; &lt;https://evil.test|click&gt;");
    expect(text).toContain("a&lt;b&gt;.pdf: bad &amp; &lt;!everyone&gt;");
    // The only `<…>` left anywhere is our own link.
    expect(text.match(/<[^>]*>/g)?.every((l) => l === `<${BASE}/jobs/bjb-1|Open in batchwatch>`)).toBe(true);
    expect(escapeSlack("&amp;")).toBe("&amp;amp;");
  });

  it("lists up to 10 failed files of job.finished and counts the rest", () => {
    const files = Array.from({ length: 20 }, (_, i) => ({
      name: `scan-${i}.pdf`,
      error_message: `page ${i} unreadable`,
    }));
    const m = slackMessage(
      event("job.finished", { status: "completed", failedItems: 25, state: "finished" }, {}, files),
      BASE,
    );
    const list = m.blocks[1];
    expect(list?.type).toBe("section");
    const text = list && "text" in list ? (list.text?.text ?? "") : "";
    expect(text.startsWith("*Failed files*\n• scan-0.pdf: page 0 unreadable\n")).toBe(true);
    expect(text.split("\n").filter((l) => l.startsWith("• "))).toHaveLength(10);
    expect(text.endsWith("…and 15 more")).toBe(true);
  });

  it("stays inside Slack's 3,000 characters per section with long names and errors", () => {
    const files = Array.from({ length: 20 }, () => ({
      name: "&".repeat(500),
      error_message: "<".repeat(2000),
    }));
    const m = slackMessage(
      event("job.finished", { label: "&".repeat(200), state: "finished" }, {}, files),
      BASE,
    );
    for (const block of m.blocks) {
      if (block.type === "section") expect(block.text?.text.length).toBeLessThanOrEqual(3000);
    }
    expect(slackText(event("job.finished", {}, {}, files))).not.toMatch(/&[a-z]*…/);
  });

  it("links to the page of an id that needs encoding, and leaves the link out without a base", () => {
    const e = event("job.tracked", { jobId: "bjb-a/b|c>d" });
    expect(slackMessage(e, BASE).text).toContain(`<${BASE}/jobs/bjb-a%2Fb%7Cc%3Ed|Open in batchwatch>`);
    const bare = slackMessage(e, null);
    expect(bare.text).toBe("Now watching *Invoices Q3*: running.");
    expect(JSON.stringify(bare)).not.toContain("Open in batchwatch");
  });
});

describe("Discord messages", () => {
  it("say what happened in content, and the job in one embed linking to its page", () => {
    const m = discordMessage(
      event("job.status_changed", { status: "completed", processedItems: 97 }, { status: "running" }),
      BASE,
    );
    expect(m).toEqual({
      content: "**Invoices Q3** is now **completed** (was running).",
      embeds: [
        {
          title: "Invoices Q3",
          url: `${BASE}/jobs/bjb-1`,
          description: "97 of 100 processed, 2 failed, 1 skipped (43%).",
          color: 0xf9a825, // completed, but with failed items
          footer: { text: "batchwatch · job bjb-1" },
          timestamp: "2026-11-28T12:00:00.000Z",
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  it("escapes markdown, masked links and mentions from outside; allowed_mentions pings nobody", () => {
    const label = "@everyone **Q3** _x_ ~~y~~ `z` ||s|| [win](https://evil.test) <@123> # head";
    const m = discordMessage(
      event("job.finished", { label, state: "finished" }, {}, [{ name: "*.pdf", error_message: "> quoted" }]),
      BASE,
    );
    expect(m.content).toBe(
      "**@everyone \\*\\*Q3\\*\\* \\_x\\_ \\~\\~y\\~\\~ \\`z\\` \\|\\|s\\|\\| \\[win\\]\\(https\\://evil.test\\) \\<@123\\> \\# head** finished: **running**.",
    );
    expect(m.embeds?.[0]?.description).toContain("• \\*.pdf: \\> quoted");
    expect(m.allowed_mentions).toEqual({ parse: [] });
    expect(escapeDiscord("***** a\\b")).toBe("\\*\\*\\*\\*\\* a\\\\b");
  });

  it("lists failed files in the embed and stays inside Discord's limits", () => {
    const files = Array.from({ length: 20 }, (_, i) => ({
      name: `${"*".repeat(300)}${i}`,
      error_message: "_".repeat(3000),
    }));
    const m = discordMessage(
      event("job.finished", { label: "*".repeat(200), failedItems: 20, state: "finished" }, {}, files),
      BASE,
    );
    const embed = m.embeds?.[0];
    expect(embed?.description).toContain("**Failed files**");
    // As many files as fit are listed, the rest counted.
    const listed = embed?.description?.split("\n").filter((l) => l.startsWith("• ")).length ?? 0;
    expect(listed).toBeGreaterThan(0);
    expect(listed).toBeLessThan(10);
    expect(embed?.description?.endsWith(`…and ${20 - listed} more`)).toBe(true);
    expect(m.content.length).toBeLessThanOrEqual(2000);
    expect(embed?.title?.length).toBeLessThanOrEqual(256);
    expect(embed?.description?.length).toBeLessThanOrEqual(4096);
    const total =
      (embed?.title?.length ?? 0) + (embed?.description?.length ?? 0) + (embed?.footer?.text.length ?? 0);
    expect(total).toBeLessThanOrEqual(6000);
  });

  it("has no url without a base", () => {
    const m = discordMessage(event("job.tracked"), null);
    expect(m.embeds?.[0]).not.toHaveProperty("url");
  });
});

describe("stored events", () => {
  it("an unknown event type still gets a line; a payload without a job gets none", () => {
    const e = event("job.tracked");
    expect(slackMessage({ ...e, type: "job.renamed" }, null).text).toBe(
      "*Invoices Q3*: job.renamed, running.",
    );
    expect(readStoredEvent("not json")).toBeNull();
    expect(readStoredEvent(JSON.stringify({ type: "job.tracked", data: {} }))).toBeNull();
  });
});

describe("deliveryRequest", () => {
  const delivery = (format: DeliveryContent["format"]): DeliveryContent => ({
    id: "msg_1",
    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    payload: payload("job.progressed"),
    format,
    origin: "https://seen-at-creation.acme.dev",
  });
  const sentAt = new Date(NOW);

  it("signs the standard body by Standard Webhooks, unchanged", () => {
    const standard = delivery("standard");
    const { headers, body } = deliveryRequest(standard, { sentAt: new Date(), publicBaseUrl: BASE });
    expect(body).toBe(standard.payload);
    expect(Object.keys(headers).sort()).toEqual(["webhook-id", "webhook-signature", "webhook-timestamp"]);
    expect(new Webhook(standard.secret).verify(body, headers)).toMatchObject({ type: "job.progressed" });
  });

  it("sends chat formats unsigned, linking to PUBLIC_BASE_URL, else the origin seen at creation", () => {
    for (const format of ["slack", "discord"] as const) {
      const unset = deliveryRequest(delivery(format), { sentAt, publicBaseUrl: null });
      expect(unset.headers).toEqual({});
      expect(unset.body).toContain("https://seen-at-creation.acme.dev/jobs/bjb-1");
      const set = deliveryRequest(delivery(format), { sentAt, publicBaseUrl: BASE });
      expect(set.body).toContain(`${BASE}/jobs/bjb-1`);
      expect(set.body).not.toContain("seen-at-creation");
    }
    const slack = JSON.parse(deliveryRequest(delivery("slack"), { sentAt, publicBaseUrl: BASE }).body);
    expect(slack).toEqual(slackMessage(event("job.progressed"), BASE));
  });

  it("sends a short message rather than nothing for a stored body it cannot read", () => {
    const broken = { ...delivery("discord"), payload: "{" };
    const body = JSON.parse(deliveryRequest(broken, { sentAt, publicBaseUrl: null }).body);
    expect(body).toMatchObject({
      content: expect.stringContaining("batchwatch"),
      allowed_mentions: { parse: [] },
    });
  });
});
