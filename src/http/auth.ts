import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ApiError } from "./errors";
import type { AppEnv } from "./openapi";

const encoder = new TextEncoder();

/**
 * Compares two secrets in constant time. Hashing first gives equal-length inputs, so neither the
 * content nor the length of the expected token leaks through timing.
 */
async function secretsEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** The secret a request presents: a Bearer token, or the password of HTTP Basic auth (for browsers). */
function presentedSecret(header: string | undefined, allowBasic: boolean): string | null {
  if (!header) return null;
  const parts = header.trim().split(/\s+/);
  if (parts.length !== 2) return null;
  const [scheme, value] = parts as [string, string];
  if (scheme.toLowerCase() === "bearer") return value;
  if (allowBasic && scheme.toLowerCase() === "basic") {
    try {
      const decoded = new TextDecoder().decode(Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0)));
      const colon = decoded.indexOf(":");
      return colon >= 0 ? decoded.slice(colon + 1) : null;
    } catch {
      return null;
    }
  }
  return null;
}

async function matchesAny(secret: string, candidates: (string | undefined)[]): Promise<boolean> {
  let matched = false;
  // Every candidate is compared, so timing does not reveal which token matched.
  for (const candidate of candidates) {
    if (candidate !== undefined && (await secretsEqual(secret, candidate))) matched = true;
  }
  return matched;
}

const READ_CHALLENGE = 'Bearer realm="batchwatch", Basic realm="batchwatch", charset="UTF-8"';
const WRITE_CHALLENGE = 'Bearer realm="batchwatch"';

/** Writes need the admin token as a Bearer token; without ADMIN_TOKEN configured they are closed. */
export const requireWrite = createMiddleware<AppEnv>(async (c, next) => {
  const { adminToken } = c.var.config;
  if (!adminToken) throw new ApiError("not_configured", "Writes are disabled until ADMIN_TOKEN is set.");
  const secret = presentedSecret(c.req.header("authorization"), false);
  if (secret === null || !(await matchesAny(secret, [adminToken]))) {
    throw new ApiError("unauthorized", "This route needs the admin token as a Bearer token.", {
      "WWW-Authenticate": WRITE_CHALLENGE,
    });
  }
  await next();
});

/** True when the request may read: PUBLIC_READ, or the read or admin token by Bearer or Basic auth. */
export async function canRead(c: Context<AppEnv>): Promise<boolean | "not_configured"> {
  const { publicRead, adminToken, readToken } = c.var.config;
  if (publicRead) return true;
  if (!adminToken && !readToken) return "not_configured";
  const secret = presentedSecret(c.req.header("authorization"), true);
  return secret !== null && (await matchesAny(secret, [adminToken, readToken]));
}

export const requireRead = createMiddleware<AppEnv>(async (c, next) => {
  const allowed = await canRead(c);
  if (allowed === "not_configured") {
    throw new ApiError(
      "not_configured",
      'Reads are closed: set READ_TOKEN or ADMIN_TOKEN, or PUBLIC_READ="true".',
    );
  }
  if (!allowed) {
    throw new ApiError("unauthorized", "This route needs the read or admin token (Bearer or Basic auth).", {
      "WWW-Authenticate": READ_CHALLENGE,
    });
  }
  await next();
});
