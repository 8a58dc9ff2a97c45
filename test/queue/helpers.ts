// Shared by the queue tests: a world whose POLL_QUEUE is a real local queue (vitest.config.ts) that
// also keeps what the tick sent, so a test can hand exactly those messages to the real queue()
// handler with createMessageBatch, as Cloudflare would deliver them.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Bindings } from "../../src/config";
import worker from "../../src/index";
import type { PollMessage } from "../../src/monitor/queue";
import { type World, world } from "../helpers/app";

export interface QueueWorld extends World {
  /** Bodies of every message the tick sent so far, in order. */
  sent: PollMessage[];
  /** How many `sendBatch` calls the tick made. */
  sends: () => number;
}

/** `refuse`: the queue refuses every send (as a Queues outage would), until set back to false. */
export function queueWorld(
  name: string,
  vars: Partial<Bindings> = {},
  refuse: { sends: boolean } = { sends: false },
): QueueWorld {
  const real = env.TEST_POLL_QUEUE;
  const sent: PollMessage[] = [];
  let sends = 0;
  const recording: Queue = {
    metrics: () => real.metrics(),
    send: (body, options) => {
      sent.push(body as PollMessage);
      return real.send(body, options);
    },
    sendBatch: async (messages, options) => {
      sends++;
      if (refuse.sends) throw new Error("Queue send failed: the queue is unavailable");
      const list = [...messages];
      for (const message of list) sent.push(message.body as PollMessage);
      return real.sendBatch(list, options);
    },
  };
  const w = world(name, { ...vars, POLL_QUEUE: recording });
  return { ...w, sent, sends: () => sends };
}

let delivered = 0;

/**
 * Delivers messages to the Worker's queue() handler (attempt `attempts`) and answers what the
 * handler settled: acked, or left to be retried (a throw).
 */
export async function deliver(w: World, bodies: unknown[], attempts = 1) {
  const batch = createMessageBatch("batchwatch-polls", [
    ...bodies.map((body) => ({ id: `msg-${++delivered}`, timestamp: new Date(), attempts, body })),
  ]);
  const ctx = createExecutionContext();
  let error: unknown = null;
  try {
    await worker.queue(batch, w.env);
  } catch (thrown) {
    error = thrown;
  }
  return { result: await getQueueResult(batch, ctx), error };
}

/** Takes the messages the tick sent since the last call (so each is delivered once, like a queue). */
export function take(w: QueueWorld): PollMessage[] {
  return w.sent.splice(0, w.sent.length);
}
