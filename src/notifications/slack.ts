/**
 * The body of a Slack incoming webhook (`text` plus Block Kit `blocks`) for one event. Slack reads
 * `<…>` as links and mentions (`<!channel>`, `<@U123>`) and `&` as the start of an entity, so every
 * outside string has `&`, `<` and `>` escaped as Slack asks; our own link is the only `<…>` left.
 */
import type { ContextBlock, SectionBlock } from "@slack/types";
import { type ChatEvent, countsLine, failedFileLines, headline, jobLink, type Markup } from "./messages";

export interface SlackMessage {
  text: string;
  blocks: (SectionBlock | ContextBlock)[];
}

/** Slack's own escaping for mrkdwn text (and for the parts of a `<url|label>` link). */
export function escapeSlack(raw: string): string {
  return raw.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const slack: Markup = { text: escapeSlack, bold: (escaped) => `*${escaped}*` };

/** A section's text may hold at most 3,000 characters; cut without leaving half an entity. */
const SECTION_MAX = 3000;
function fitSection(mrkdwn: string): string {
  if (mrkdwn.length <= SECTION_MAX) return mrkdwn;
  return `${mrkdwn.slice(0, SECTION_MAX - 1).replace(/&[a-z]*$/, "")}…`;
}

export function slackMessage(event: ChatEvent, linkBase: string | null): SlackMessage {
  const line = headline(event, slack);
  const summary = `${line}\n${countsLine(event.job)}`; // the counts line holds only numbers
  const blocks: SlackMessage["blocks"] = [
    { type: "section", text: { type: "mrkdwn", text: fitSection(summary) } },
  ];
  // Room left for the heading and the "…and N more" line.
  const files = failedFileLines(event, slack, SECTION_MAX - 100);
  if (files.lines.length > 0) {
    const more = files.more > 0 ? `\n…and ${files.more} more` : "";
    const list = files.lines.join("\n");
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: fitSection(`*Failed files*\n${list}${more}`) },
    });
  }
  const url = jobLink(linkBase, event.job.id);
  // The link target is ours, but `|` and `>` would end it early: percent-encode them, escape the rest.
  const link = url && `<${escapeSlack(url.replace(/\|/g, "%7C"))}|Open in batchwatch>`;
  // A backtick would end the code span early; ids are shown, not parsed, so a quote stands in.
  const id = `job \`${escapeSlack(event.job.id.replace(/`/g, "'"))}\``;
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: link ? `${link} · ${id}` : id }] });
  // `text` is what notifications and screen readers show instead of the blocks.
  return { text: link ? `${line} ${link}` : line, blocks };
}
