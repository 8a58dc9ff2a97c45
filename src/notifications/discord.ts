/**
 * The body of a Discord webhook (`content` plus one embed) for one event. Outside strings have their
 * markdown escaped, so they can neither format the
 * message nor form links, mentions, channel links or timestamps; `allowed_mentions: {parse: []}` makes sure that
 * nothing in the message pings anyone, whatever it contains.
 */
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

/**
 * A backslash makes Discord show any punctuation as itself, so every character that markdown,
 * masked links, autolinks (`https:`), mentions, channels and timestamps (`<…>`) are made of is
 * escaped. (discord.js's escapeMarkdown leaves pairs unescaped in a run like `*****`, which then
 * turn bold.)
 */
export function escapeDiscord(raw: string): string {
  return raw.replace(/[\\*_~`|<>#\-[\]():]/g, "\\$&");
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
  // The description also holds the counts line, the heading and the "…and N more" line.
  const files = failedFileLines(event, discord, DESCRIPTION_MAX - 300);
  // Only numbers: nothing in the counts line came from outside.
  const description = [countsLine(event.job)];
  if (files.lines.length > 0) {
    description.push("", "**Failed files**", ...files.lines);
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
