import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** A local queue test/queue/ binds as POLL_QUEUE (vitest.config.ts). */
      TEST_POLL_QUEUE: Queue;
    }
  }
}
