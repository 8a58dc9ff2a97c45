import { OpenAPIHono } from "@hono/zod-openapi";
import type { Bindings, Config } from "../config";
import type { Database } from "../db/client";
import { errorResponse, errorSchema, sentence } from "./errors";

/** Every router's environment: the bindings, and what `requestScope` (./context.ts) puts on `c.var`. */
export type AppEnv = { Bindings: Bindings; Variables: { db: Database; config: Config } };

/** A router whose validation failures answer with the API's error shape (README "Using it"). */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const field = issue?.path.length ? `${issue.path.join(".")}: ` : "";
      return errorResponse(c, "validation_error", sentence(`${field}${issue?.message ?? "invalid input"}`));
    },
  });
}

export const jsonContent = <T>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

/** The error answers every authorised API route can give, for its OpenAPI responses. */
export const AUTH_ERRORS = {
  400: jsonContent(errorSchema, "Invalid input"),
  401: jsonContent(errorSchema, "Missing or wrong token"),
  503: jsonContent(errorSchema, "Auth is not configured"),
};

/** How the OpenAPI document says a route is authorised (the schemes are registered in app.ts). */
export const WRITE_SECURITY: Record<string, string[]>[] = [{ bearer: [] }];
/** Reads: the read or admin token, as a Bearer token or a Basic password; open when PUBLIC_READ="true". */
export const READ_SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { basic: [] }, {}];
