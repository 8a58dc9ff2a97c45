import { createRoute, OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Bindings, Config } from "../config";
import type { Database } from "../db/client";
import { requireRead, requireWrite } from "./auth";
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

/** An answer in the API's error shape (./errors.ts), for a route's OpenAPI responses. */
export const errorAnswer = (description: string) => jsonContent(errorSchema, description);

/** A DELETE's answer when there was something to delete. */
export const DELETED = { 204: { description: "Deleted" } };

type Security = Record<string, string[]>[];
/** A route open to anyone on purpose (health checks, LlamaCloud's callbacks): no token is asked for. */
export const OPEN: Security = [];

type ClientErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | "4XX";
/** Responses that name at least one 4xx answer. */
type WithClientError = { [S in ClientErrorStatus]: { [K in S]: unknown } }[ClientErrorStatus];

/**
 * `createRoute` for every API route, with what the OpenAPI document needs to pass Redocly's
 * recommended lint (CI runs it on the served /openapi.json) made required by the compiler: an
 * `operationId` (the method name generated clients give the route; lowerCamelCase, unique), a
 * `summary`, its `security` (`OPEN` when anyone may call it) and at least one 4xx answer. Routes
 * that ask for a token are declared with readRoute or writeRoute (below), which fill in the last two.
 */
export function apiRoute<
  P extends string,
  R extends Omit<RouteConfig, "path"> & {
    path: P;
    operationId: string;
    summary: string;
    security: Security;
    responses: WithClientError;
  },
>(config: R) {
  return createRoute(config);
}

/** The error answers every authorised API route can give, for its OpenAPI responses. */
const AUTH_ERRORS = {
  400: errorAnswer("Invalid input"),
  401: errorAnswer("Missing or wrong token"),
  503: errorAnswer("Auth is not configured"),
};

/** What a read or write route declares itself: all but its auth, which readRoute and writeRoute add. */
type AuthorisedRoute<P extends string> = Omit<RouteConfig, "path" | "middleware" | "security"> & {
  path: P;
  operationId: string;
  summary: string;
};

/**
 * Route constructors for one kind of caller: the check (`auth`), what the OpenAPI document says it
 * asks for (`security`; the schemes are registered in app.ts) and the refusals it can answer
 * (AUTH_ERRORS) come together, so they cannot disagree.
 */
function authorisedRoute(auth: typeof requireRead, security: Security) {
  return <P extends string, R extends AuthorisedRoute<P>>(config: R) =>
    apiRoute({
      ...config,
      middleware: [auth] as const,
      security,
      responses: { ...config.responses, ...AUTH_ERRORS },
    });
}

/** Reads: the read or admin token, as a Bearer token or a Basic password; open when PUBLIC_READ="true". */
export const readRoute = authorisedRoute(requireRead, [{ bearer: [] }, { basic: [] }, {}]);
/** Writes: the admin token as a Bearer token. */
export const writeRoute = authorisedRoute(requireWrite, [{ bearer: [] }]);

/** The project has no licence file yet: the document says so until one is chosen. */
const LICENSE = { name: "No licence granted (all rights reserved)", identifier: "LicenseRef-None" };

/**
 * The document's top. `servers` is PUBLIC_BASE_URL when it is set, else "/": the host that served
 * the document (OpenAPI's own default, written out so linters and API consoles see it).
 */
export function openApiDocument(c: Context<AppEnv>) {
  return {
    openapi: "3.1.0",
    info: {
      title: "batchwatch",
      version: "0.1.0",
      description: "Monitor for LlamaCloud batch jobs: tracked jobs, their history, notifications.",
      license: LICENSE,
    },
    servers: [{ url: c.var.config.publicBaseUrl ?? "/", description: "This batchwatch" }],
  };
}
