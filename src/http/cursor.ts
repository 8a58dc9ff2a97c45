import { z } from "zod";
import type { Position } from "../db/keyset";
import { ApiError } from "./errors";

// Cursors are opaque to clients: base64url of the keyset position `{t, id}` where a page ended.
const textPosition = z.object({ t: z.number(), id: z.string() });
const numberPosition = z.object({ t: z.number(), id: z.number() });

export function encodeCursor(position: Position<string | number>): string {
  const bytes = new TextEncoder().encode(JSON.stringify({ t: position.time, id: position.id }));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** The position a text-keyed list (jobs, subscriptions, deliveries) continues after. */
export function decodeCursor(cursor: string | undefined): Position | undefined {
  return decode(cursor, textPosition);
}

/** The position a number-keyed list (snapshots) continues after. */
export function decodeNumberCursor(cursor: string | undefined): Position<number> | undefined {
  return decode(cursor, numberPosition);
}

function decode<I extends string | number>(
  cursor: string | undefined,
  schema: z.ZodType<{ t: number; id: I }>,
): Position<I> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const base64 = cursor.replaceAll("-", "+").replaceAll("_", "/");
    const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0)));
    const parsed = schema.safeParse(JSON.parse(json));
    if (parsed.success) return { time: parsed.data.t, id: parsed.data.id };
  } catch {
    // fall through: any undecodable cursor is the client's mistake
  }
  throw new ApiError("validation_error", "cursor is not one this API handed out; start again without it.");
}
