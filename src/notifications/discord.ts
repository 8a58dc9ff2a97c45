/**
 * The body of a Discord webhook (`content` plus one embed) for one event. Outside strings have their
 * markdown escaped (with discord.js's own escaper, masked links included) and `<` escaped so they
 * cannot form mentions, channel links or timestamps; `allowed_mentions: {parse: []}` makes sure that
 * nothing in the message pings anyone, whatever it contains.
 */
import { escapeMarkdown } from "@discordjs/formatters";
import type { RESTPostAPIWebhookWithTokenJSONBody } from "discord-api-types/v10";
import {
  type ChatEvent,
  countsLine,
  failedFileLines,
  headline,
  jobLink,
  jobName,
  type Markup,
} from "./messages";

export type DiscordMessage = RESTPostAPIWebhookWithTokenJSONBody & {
  content: string;
  allowed_mentions: { parse: [] };
};

export function escapeDiscord(raw: string): string {
  const escaped = escapeMarkdown(raw, {
    heading: true,
    bulletedList: true,
    numberedList: true,
    maskedLink: true,
  });
  return escaped.replace(/</g, "\\<");
}

const discord: Markup = { text: escapeDiscord, bold: (escaped) => `**${escaped}**` };

// Discord's limits: content 2,000 characters, an embed's title 256 and description 4,096.
const CONTENT_MAX = 2000;
const TITLE_MAX = 256;
const DESCRIPTION_MAX = 4096;
/** Cuts escaped text without leaving a lone backslash that would escape the ellipsis. */
function cut(markdown: string, max: number): string {
  if (markdown.length <= max) return markdown;
  return `${markdown.slice(0, max - 1).replace(/\\+$/, "")}…`;
}

const COLOURS = { good: 0x2e7d32, bad: 0xc62828, ended: 0x757575, warning: 0xf9a825, info: 0x1565c0 };

function colour(event: ChatEvent): number {
  if (event.type === "job.stalled" || event.type === "job.poll_failing") return COLOURS.warning;
  const status = event.job.status?.toLowerCase();
  if (status === "completed") return (event.job.failed_items ?? 0) > 0 ? COLOURS.warning : COLOURS.good;
  if (status === "failed") return COLOURS.bad;
  if (status === "cancelled") return COLOURS.ended;
  return COLOURS.info;
}

export function discordMessage(event: ChatEvent, linkBase: string | null): DiscordMessage {
  const files = failedFileLines(event, discord);
  const description = [escapeDiscord(countsLine(event.job))];
  if (files.lines.length > 0) {
    description.push("", "**Failed files**", ...files.lines.map((l) => `• ${l}`));
    if (files.more > 0) description.push(`…and ${files.more} more`);
  }
  const url = jobLink(linkBase, event.job.id);
  const timestamp =
    event.timestamp && !Number.isNaN(Date.parse(event.timestamp)) ? event.timestamp : undefined;
  return {
    content: cut(headline(event, discord), CONTENT_MAX),
    embeds: [
      {
        title: cut(escapeDiscord(jobName(event.job)), TITLE_MAX),
        ...(url ? { url } : {}),
        description: cut(description.join("\n"), DESCRIPTION_MAX),
        color: colour(event),
        // Footers show no markdown and never mention anyone: the id goes in as it is.
        footer: { text: `batchwatch · job ${event.job.id}` },
        ...(timestamp ? { timestamp } : {}),
      },
    ],
    allowed_mentions: { parse: [] },
  };
}
