import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { world } from "../helpers/app";
import { insertJob, resetDatabase } from "../helpers/d1";
import { page, select } from "../pages/helpers";
import { createWatch } from "./helpers";

// The dashboard's watches: each watched project with its last scan, jobs found and error, and which
// watch found a job, all in plain escaped HTML.

const w = world("watch-pages");

beforeEach(resetDatabase);

describe("the dashboard", () => {
  it("lists each watch with what it discovers, its last scan, jobs found and last error", async () => {
    const quiet = await createWatch(w, { project_id: "prj-quiet", apis: ["v2"] });
    const broken = await createWatch(w, { project_id: "prj-<b>broken</b>", label: "Invoices <EU>" });
    await env.DB.prepare(
      "update watches set jobs_found = 12, last_scan_at = ?, last_error_code = 'server_error', last_error_message = ?, last_error_at = ? where id = ?",
    )
      .bind(Date.now() - 120_000, "LlamaCloud answered <b>HTTP 503</b>.", Date.now(), broken.id)
      .run();

    const html = await page("/");
    const rows = await select(html, "table.watches tbody tr");
    expect(rows).toHaveLength(2);
    const [first, second] = rows.map((row) => row.text.replace(/\s+/g, " "));
    // Newest first: the broken one, by its label, then the quiet one, by its project.
    expect(first).toContain("Invoices <EU>");
    expect(first).toContain("prj-<b>broken</b>");
    expect(first).toContain("v1, v2");
    expect(first).toContain("2 min ago");
    expect(first).toContain("12");
    expect(first).toContain("server_error");
    expect(first).toContain("LlamaCloud answered <b>HTTP 503</b>.");
    expect(second).toContain("prj-quiet");
    expect(second).toContain(quiet.id);
    expect(second).toContain("not yet");
    expect(second).toContain("none");
    // Everything from users and upstream is text, never markup.
    expect(html).not.toContain("<b>broken</b>");
    expect(html).not.toContain("<b>HTTP 503</b>");
  });

  it("says which watch found a job, and shows no watch section while there are none", async () => {
    await insertJob({ jobId: "bjb-by-hand" });
    let html = await page("/");
    expect(await select(html, "table.watches")).toEqual([]);
    expect(await select(html, ".found-by")).toEqual([]);

    const watch = await createWatch(w, { project_id: "prj-1", label: "Team A" });
    await insertJob({ jobId: "bjb-found", watchId: watch.id });
    await insertJob({ jobId: "bjb-orphan", watchId: "wat_gone" });
    html = await page("/");
    const found = (await select(html, ".found-by")).map((el) => el.text.replace(/\s+/g, " ").trim());
    expect(found.sort()).toEqual(["found by watch Team A", "found by watch wat_gone (deleted)"]);
  });
});
