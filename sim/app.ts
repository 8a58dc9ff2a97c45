// The simulator: upstream APIs (v1 and v2) + control routes over one set of tenant worlds. Runners (the miniflare
// outbound service, the Node server, in-process tests) all build it here.

import { Hono } from "hono";
import { apiRoutes } from "./api";
import { apiV2Routes } from "./api-v2";
import type { Deliver } from "./callbacks";
import { controlRoutes } from "./control-routes";
import { DEFAULT_JOB_SETTINGS, type JobDefaults } from "./jobs";
import { looksLikeLlamaCloudKey } from "./upstream";
import { type RequestLogEntry, type TenantConfig, Worlds } from "./world";

export interface SimulatorOptions {
  /** Wall clock in ms; tests of the simulator itself may inject one. */
  now?: () => number;
  /** How callbacks leave the simulator; default: global fetch. */
  deliver?: Deliver;
  /** Which Bearer keys the upstream API accepts; default: any `llx-…` key. */
  acceptKey?: (key: string) => boolean;
  /** Initial callback configuration of every tenant. */
  tenantDefaults?: Partial<TenantConfig>;
  jobDefaults?: Partial<JobDefaults>;
}

export interface Simulator {
  app: Hono;
  worlds: Worlds;
  fetch: (request: Request) => Promise<Response>;
  /** Brings every tenant's realtime jobs and batches up to now, sending their callbacks. */
  syncAll: () => void;
}

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const worlds = new Worlds({
    realNow: options.now ?? Date.now,
    deliver: options.deliver ?? ((request) => fetch(request)),
    config: {
      callbackUrl: null,
      callbackSecret: null,
      autoCallbacks: true,
      revoked: false,
      ...options.tenantDefaults,
    },
    jobDefaults: { ...DEFAULT_JOB_SETTINGS, ...options.jobDefaults },
  });
  const anonymousLog: RequestLogEntry[] = [];
  const app = new Hono();
  app.route("/", controlRoutes({ worlds, anonymousLog }));
  const api = { worlds, anonymousLog, acceptKey: options.acceptKey ?? looksLikeLlamaCloudKey };
  app.route("/", apiRoutes(api));
  app.route("/", apiV2Routes(api));
  app.notFound((c) => c.json({ detail: "Not Found" }, 404));
  return {
    app,
    worlds,
    fetch: async (request) => app.fetch(request),
    syncAll: () => {
      for (const world of worlds.all()) world.sync();
    },
  };
}
