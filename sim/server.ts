// The simulator as a local Node server, for `npm start` and end-to-end tests against `wrangler dev`.
//
//   npx tsx sim/server.ts [--port 8788] [--host 127.0.0.1] [--api-key llx-sim-local] [--demo]
//                         [--speed 1] [--callback-url URL] [--callback-secret S] [--sync-ms 1000]
//                         [--new-batch-seconds 120]
//
// Each flag has an environment variable: SIM_PORT, SIM_HOST, SIM_API_KEY, SIM_DEMO=1, SIM_SPEED,
// SIM_CALLBACK_URL, SIM_CALLBACK_SECRET, SIM_SYNC_MS, SIM_NEW_BATCH_SECONDS. The webhook receiver
// is mounted at /receiver.

import type { AddressInfo } from "node:net";
import process from "node:process";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { createSimulator } from "./app";
import {
  seedDemoBatches,
  seedDemoJobs,
  seedWatchedProject,
  startDemoBatch,
  WATCHED_PROJECT_ID,
} from "./demo";
import { createReceiver } from "./receiver";
import { looksLikeLlamaCloudKey } from "./upstream";

const RECEIVER_PATH = "/receiver";

const { values: flags } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    "api-key": { type: "string" },
    demo: { type: "boolean" },
    speed: { type: "string" },
    "callback-url": { type: "string" },
    "callback-secret": { type: "string" },
    "sync-ms": { type: "string" },
    "new-batch-seconds": { type: "string" },
  },
});

const env = process.env;
const port = Number(flags.port ?? env.SIM_PORT ?? 8788);
const host = flags.host ?? env.SIM_HOST ?? "127.0.0.1";
const apiKey = flags["api-key"] ?? env.SIM_API_KEY ?? "llx-sim-local";
const demo = flags.demo ?? env.SIM_DEMO === "1";
const speed = Number(flags.speed ?? env.SIM_SPEED ?? 1);
const callbackUrl = flags["callback-url"] ?? env.SIM_CALLBACK_URL ?? null;
const callbackSecret = flags["callback-secret"] ?? env.SIM_CALLBACK_SECRET ?? null;
const syncMs = Number(flags["sync-ms"] ?? env.SIM_SYNC_MS ?? 1000);
// With --demo a new batch starts in the watched demo project every couple of minutes (0: never).
const newBatchSeconds = Number(flags["new-batch-seconds"] ?? env.SIM_NEW_BATCH_SECONDS ?? (demo ? 120 : 0));

if (!Number.isInteger(port) || port < 0 || !(speed > 0) || !(syncMs >= 0) || !(newBatchSeconds >= 0)) {
  console.error(
    "sim: --port must be an integer, --speed a positive number, --sync-ms and --new-batch-seconds zero or more",
  );
  process.exit(2);
}

const simulator = createSimulator({
  // The configured key is accepted even when it does not look like a LlamaCloud key.
  acceptKey: (key) => key === apiKey || looksLikeLlamaCloudKey(key),
  tenantDefaults: { callbackUrl, callbackSecret },
  jobDefaults: { speed },
});
const receiver = createReceiver(RECEIVER_PATH);
const demoJobs = demo ? seedDemoJobs(simulator.worlds.get(apiKey)) : [];
const demoBatches = demo ? seedDemoBatches(simulator.worlds.get(apiKey)) : [];
const watched = demo ? seedWatchedProject(simulator.worlds.get(apiKey)) : [];

const server = serve(
  {
    fetch: (request) => {
      const { pathname } = new URL(request.url);
      const toReceiver = pathname === RECEIVER_PATH || pathname.startsWith(`${RECEIVER_PATH}/`);
      return toReceiver ? receiver.fetch(request) : simulator.fetch(request);
    },
    port,
    hostname: host,
  },
  (info: AddressInfo) => {
    const url = `http://${host}:${info.port}`;
    console.log(`LlamaCloud simulator listening on ${url}`);
    console.log(`  API key: ${apiKey}  (base URL for batchwatch: LLAMA_CLOUD_BASE_URL=${url})`);
    if (demoJobs.length > 0) console.log(`  demo jobs: ${demoJobs.join(", ")}`);
    if (demoBatches.length > 0) console.log(`  demo v2 batches: ${demoBatches.join(", ")}`);
    if (watched.length > 0)
      console.log(`  project ${WATCHED_PROJECT_ID} (for a watch): ${watched.join(", ")}`);
    if (newBatchSeconds > 0) {
      console.log(`  a new batch starts in ${WATCHED_PROJECT_ID} every ${newBatchSeconds} s`);
    }
    console.log(
      `  callbacks: ${callbackUrl ?? "off (no --callback-url)"}${callbackSecret ? " (signed)" : ""}`,
    );
    console.log(`  webhook receiver: ${url}${RECEIVER_PATH}/{name}/…`);
  },
);

// Realtime jobs advance on every request anyway; this sweep makes their callbacks go out on time even
// when nobody is polling.
const sweep = syncMs > 0 ? setInterval(simulator.syncAll, syncMs) : undefined;
// Batches started over time, as people start them: what a watch exists to discover.
const starter =
  newBatchSeconds > 0
    ? setInterval(() => {
        const started = startDemoBatch(simulator.worlds.get(apiKey));
        console.log(`sim: started ${started.api} batch ${started.id} in ${started.project_id}`);
      }, newBatchSeconds * 1000)
    : undefined;

function shutdown(signal: string): void {
  console.log(`sim: ${signal}, shutting down`);
  clearInterval(sweep);
  clearInterval(starter);
  server.close(() => process.exit(0));
  if ("closeAllConnections" in server) server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}

process.once("SIGINT", () => shutdown("SIGINT"));
process.once("SIGTERM", () => shutdown("SIGTERM"));
