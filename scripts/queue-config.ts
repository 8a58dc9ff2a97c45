// wrangler.toml with its POLL_QUEUE section turned on, for `npm run dev:queue`, the end-to-end test and
// the benchmark: the very lines wrangler.toml tells people to uncomment, so what is tested is what
// they deploy.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");

/** The POLL_QUEUE section's setting lines (not its prose or comments) uncommented. */
function withPollQueue(toml: string): string {
  const lines = toml.split("\n");
  const begin = lines.findIndex((line) => line.startsWith("# BEGIN POLL_QUEUE"));
  const end = lines.findIndex((line) => line.startsWith("# END POLL_QUEUE"));
  if (begin < 0 || end < begin) throw new Error("wrangler.toml has no POLL_QUEUE section");
  const setting = /^# (\[\[queues\.(producers|consumers)\]\]|[a-z_]+ = .*)$/;
  return lines
    .map((line, index) => (index > begin && index < end && setting.test(line) ? line.slice(2) : line))
    .join("\n");
}

/**
 * Writes the queue configuration under .wrangler/ (ignored by git) and answers its path. Paths in it
 * are rewritten to point back at the repository, since wrangler reads them relative to the file.
 */
export function writeQueueConfig(): string {
  const toml = withPollQueue(readFileSync(path.join(ROOT, "wrangler.toml"), "utf8")).replace(
    /^(main|migrations_dir) = "(.*)"$/gm,
    (_, key: string, value: string) => `${key} = "../${value}"`,
  );
  const dir = path.join(ROOT, ".wrangler");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "wrangler.queue.toml");
  // Written aside and renamed, so two stacks starting at once never read a half-written file.
  const aside = `${file}.${process.pid}.tmp`;
  writeFileSync(aside, toml);
  renameSync(aside, file);
  return file;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  console.log(writeQueueConfig());
}
