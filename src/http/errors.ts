import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The error codes the API answers with (README "Using it"), with the status of each. */
export const ERROR_STATUS = {
  validation_error: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  upstream_not_found: 422,
  internal_error: 500,
  upstream_error: 502,
  not_configured: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The shape of every error answer, for the OpenAPI document. */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "validation_error" }),
      message: z.string().openapi({ example: "limit must be between 1 and 200." }),
    }),
  })
  .openapi("Error");

function errorBody(code: ErrorCode, message: string) {
  return { error: { code, message } };
}

/** Thrown anywhere below a route to answer with the API's error shape. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The 404 for an id that names nothing: `what` is what it should have named ("watch", "tracked job"). */
export function notFound(what: string, id: string): ApiError {
  return new ApiError("not_found", `No ${what} has the id "${id}".`);
}

export function errorResponse(
  c: Context,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
) {
  return c.json(errorBody(code, message), ERROR_STATUS[code], headers);
}

// No 413 here: oversized bodies are refused by ./body.ts with its own ApiError, never an HTTPException.
const HTTP_EXCEPTION_CODES: Partial<Record<number, ErrorCode>> = {
  400: "validation_error",
  401: "unauthorized",
  404: "not_found",
  415: "unsupported_media_type",
};

const HTTP_EXCEPTION_MESSAGES: Partial<Record<ErrorCode, string>> = {
  unsupported_media_type: "The request body must be JSON (Content-Type: application/json).",
};

export function handleError(err: Error, c: Context) {
  if (err instanceof ApiError) return errorResponse(c, err.code, err.message, err.headers);
  if (err instanceof HTTPException) {
    const code = HTTP_EXCEPTION_CODES[err.status];
    if (code) {
      const message = HTTP_EXCEPTION_MESSAGES[code] ?? sentence(err.message || "The request is not valid.");
      return errorResponse(c, code, message);
    }
  }
  // An unexpected failure: logged for the operator, answered without internals.
  console.error("unhandled error", err);
  return errorResponse(
    c,
    "internal_error",
    "Something went wrong on our side; the request was not completed.",
  );
}

export function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
