// The OpenAPI document as outside tools take it, from a real `wrangler dev`: Redocly's recommended
// lint accepts the served /openapi.json with no error and no warning, and a client generated from it
// (openapi-typescript types, openapi-fetch calls: ./openapi-client/client.ts) typechecks with tsc,
// refuses wrong calls, and reads and writes through the running app.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import openapiTS, { astToString } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN } from "../../scripts/processes";
import { useStack } from "./harness";

const run = promisify(execFile);
const CLIENT_DIR = path.join(import.meta.dirname, "openapi-client");

/**
 * What ./openapi-client/client.ts exports. It is imported by a path the project's typecheck does not
 * follow (its ./schema.d.ts exists only while this test runs); tsc checks the file itself below.
 */
interface ClientModule {
  batchwatchClient(
    baseUrl: string,
    token: string,
  ): {
    listJobs(): Promise<{ id: string; status: string | null; state: string }[]>;
    trackJob(
      jobId: string,
      label: string,
    ): Promise<{ status: number; label: string | null; processed: number | null }>;
    subscribeSlack(url: string): Promise<{ format: string; secret: boolean } | { refused: string }>;
  };
}

const { stack, sim } = useStack();

let dir = "";
let document: Record<string, unknown> = {};
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "batchwatch-openapi-"));
  const res = await fetch(`${stack().url}/openapi.json`);
  expect(res.status).toBe(200);
  document = (await res.json()) as Record<string, unknown>;
  writeFileSync(path.join(dir, "openapi.json"), JSON.stringify(document, null, 2));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
}

/** tsc over the client file, with the generated types beside it (rootDirs joins the two folders). */
async function typecheckClient(): Promise<{ ok: boolean; output: string }> {
  const tsconfig = path.join(dir, "tsconfig.json");
  writeFileSync(
    tsconfig,
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "ES2022",
        moduleResolution: "Bundler",
        lib: ["ES2022", "DOM"],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
        rootDirs: [CLIENT_DIR, dir],
      },
      files: [path.join(CLIENT_DIR, "client.ts")],
    }),
  );
  try {
    await run(path.join(BIN, "tsc"), ["-p", tsconfig]);
    return { ok: true, output: "" };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? error) };
  }
}

describe("the served OpenAPI document", () => {
  it("passes Redocly's recommended lint with 0 errors and 0 warnings", async () => {
    // Run from the temporary folder, so no configuration of the repository's can relax a rule.
    const { stdout } = await run(
      path.join(BIN, "redocly"),
      ["lint", "--extends", "recommended", "--format", "json", "openapi.json"],
      { cwd: dir, env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" } },
    );
    const report = JSON.parse(stdout) as LintReport;
    const problems = report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(problems).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  });

  it("declares how every operation is called: operationId, security and a 4xx answer", () => {
    const operations = Object.values(
      document.paths as Record<string, Record<string, Record<string, unknown>>>,
    )
      .flatMap((item) => Object.values(item))
      .filter((op) => typeof op === "object" && op !== null && "responses" in op);
    expect(operations.length).toBeGreaterThanOrEqual(13);
    for (const op of operations) {
      expect(op.operationId).toMatch(/^[a-z][A-Za-z]+$/);
      expect(Array.isArray(op.security)).toBe(true);
      expect(Object.keys(op.responses as object).some((code) => /^4(\d\d|XX)$/.test(code))).toBe(true);
    }
  });

  it("gives a client that compiles with tsc, refuses wrong calls, and reads and writes", async () => {
    writeFileSync(path.join(dir, "schema.d.ts"), astToString(await openapiTS(document as never)));
    const checked = await typecheckClient();
    expect(checked.output).toBe("");
    expect(checked.ok).toBe(true);

    await sim().createJob({ id: "bjb-e2e-openapi", mode: "manual", total_items: 30, start_at: "running" });
    const { batchwatchClient } = (await import(
      /* @vite-ignore */ path.join(CLIENT_DIR, "client.ts")
    )) as ClientModule;
    const api = batchwatchClient(stack().url, stack().adminToken);
    expect(await api.trackJob("bjb-e2e-openapi", "Generated client")).toEqual({
      status: 201,
      label: "Generated client",
      processed: expect.any(Number),
    });
    expect(await api.listJobs()).toContainEqual({
      id: "bjb-e2e-openapi",
      status: "running",
      state: "active",
    });
    // A public https URL, so it needs no ALLOW_HTTP_WEBHOOKS; nothing is delivered to it in this test.
    expect(await api.subscribeSlack("https://hooks.slack.com/services/T000/B000/XXXX")).toEqual({
      format: "slack",
      secret: true,
    });
    const reader = batchwatchClient(stack().url, stack().readToken);
    expect(await reader.subscribeSlack("https://hooks.slack.com/services/T000/B000/YYYY")).toEqual({
      refused: "unauthorized",
    });
  });
});
