/**
 * How request bodies are read: at most 64 KiB, and an oversized body is read to its end (within a
 * bound) before the 413 goes out. Hono's `bodyLimit` stops reading a chunked body mid-stream and
 * answers; under `wrangler dev` the unread rest then blocked the next request to the worker until
 * the first client went away (neither cancelling the stream nor `Connection: close` helped; reading
 * it out did). README "Configuration" has the limit.
 */
import { createMiddleware } from "hono/factory";
import { readUpTo } from "../bounded-read";
import { ApiError } from "./errors";
import type { AppEnv } from "./openapi";

export const MAX_BODY_BYTES = 64 * 1024;
/** An oversized body is read out up to this many bytes more, and for at most DRAIN_MS; then cancelled. */
const MAX_DRAIN_BYTES = 1024 * 1024;
const DRAIN_MS = 2_000;

const tooLarge = () => new ApiError("payload_too_large", "The request body is larger than 64 KiB.");

/** Reads and throws away what is left of a body, bounded in bytes and time, then lets it go. */
async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const deadline = Date.now() + DRAIN_MS;
  let left = MAX_DRAIN_BYTES;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    while (left > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), remaining);
      });
      const read = await Promise.race([reader.read(), timeout]);
      clearTimeout(timer);
      if (read === "timeout") break;
      if (read.done) return;
      left -= read.value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The client went away: nothing is left to read.
  } finally {
    clearTimeout(timer);
  }
}

/** The whole body, or a 413 once it passes MAX_BODY_BYTES (the rest read out first, see above). */
async function readLimited(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = body.getReader();
  const bytes = await readUpTo(reader, MAX_BODY_BYTES);
  if (bytes) return bytes;
  await discardRest(reader);
  throw tooLarge();
}

/**
 * Buffers every request body (at most MAX_BODY_BYTES) so handlers read it from memory. A declared
 * Content-Length over the limit is refused before anything is read (that never stalled).
 */
export const limitBody = createMiddleware<AppEnv>(async (c, next) => {
  const raw = c.req.raw;
  if (!raw.body) return next();
  const declared = raw.headers.get("content-length");
  if (declared !== null && !raw.headers.has("transfer-encoding") && Number(declared) > MAX_BODY_BYTES) {
    throw tooLarge();
  }
  const bytes = await readLimited(raw.body);
  c.req.raw = new Request(raw, { body: bytes });
  await next();
});

/**
 * JSON API bodies must be UTF-8: bytes that are not are refused, never decoded into replacement
 * characters that would then be stored and sent upstream as part of an id.
 */
export const requireUtf8Body = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.raw.body) {
    try {
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(await c.req.arrayBuffer());
    } catch {
      throw new ApiError("validation_error", "The request body is not valid UTF-8.");
    }
  }
  await next();
});
