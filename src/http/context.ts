/**
 * What one request shares: a middleware opens the database handle and reads the config once, and
 * handlers take them from `c.var` (the d1 template of fiberplane/create-honc-app provides its db the
 * same way).
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { readConfig } from "../config";
import { database } from "../db/client";
import type { AfterAnswer } from "../notifications/background";
import type { AppEnv } from "./openapi";

export const requestScope = createMiddleware<AppEnv>(async (c, next) => {
  c.set("db", database(c.env.DB));
  c.set("config", readConfig(c.env));
  await next();
});

/** What work after the answer (a route's first delivery attempts) needs from this request. */
export function afterAnswer(c: Context<AppEnv>): AfterAnswer {
  return {
    db: c.var.db,
    allowHttp: c.var.config.allowHttpWebhooks,
    publicBaseUrl: c.var.config.publicBaseUrl,
    waitUntil: (work) => {
      try {
        c.executionCtx.waitUntil(work);
      } catch {
        // No execution context (a bare `app.request`): the promise simply runs on.
      }
    },
  };
}
