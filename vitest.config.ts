import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { simulatorOutbound } from "./sim/outbound";

const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));

// Two projects: "workers" runs inside workerd against a real local D1 with LlamaCloud (and webhook
// receivers) answered by the simulator at the network boundary; "node" drives real `wrangler dev`
// processes and a real browser from Node.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: migrations,
                LLAMA_CLOUD_BASE_URL: "http://llamacloud.test",
                LLAMA_CLOUD_API_KEY: "llx-test-key",
                ADMIN_TOKEN: "admin-token-for-tests",
                READ_TOKEN: "read-token-for-tests",
                // "1" only under `npm run bench` (scripts/bench.ts): test/bench/ runs then, else it is skipped.
                BATCHWATCH_BENCH: process.env.BATCHWATCH_BENCH ?? "0",
              },
              outboundService: simulatorOutbound,
              // A real local queue for test/queue/: bound under another name than POLL_QUEUE, so every
              // other test keeps polling in the tick; those tests bind it as POLL_QUEUE in their world.
              // No consumer here: the tests hand the messages to queue() themselves (createMessageBatch).
              queueProducers: { TEST_POLL_QUEUE: { queueName: "batchwatch-polls-test" } },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          setupFiles: ["./test/setup/apply-migrations.ts"],
          // The slowest tests (500 callbacks, a tick over 5,000 jobs) take 1–3 s on their own; with
          // every core busy they have passed vitest's default 5 s. A hang still fails, just later.
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
