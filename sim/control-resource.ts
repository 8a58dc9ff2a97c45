// The control routes a v1 job and a v2 batch both have: create, list, show, patch, advance and delete
// under `/__sim/<plural>`, with the same 404 and 409 answers and the same JSON keys (`job`, `jobs`,
// `changes`…). Each kind says only how it is built, patched, moved and shown.

import { type Context, Hono } from "hono";
import type { z } from "zod";
import { body, type ControlEnv } from "./control-inputs";
import type { World } from "./world";

export interface Resource<
  T extends { id: string },
  View,
  Change,
  Create extends z.ZodType,
  Patch extends z.ZodType,
  Advance extends z.ZodType,
> {
  /** The answers' keys: `{ [one]: view }`, `{ [many]: views }`; `many` is also the route's path segment. */
  one: string;
  many: string;
  /** This tenant's things of this kind, by id. */
  in: (world: World) => Map<string, T>;
  /** Builds one, adds it to the world and announces it (a callback, if the tenant wants them). */
  create: (world: World, input: z.output<Create>) => T;
  /** Changes answer fields or the plan; `nowMs` moves its `updated_at`. */
  patch: (thing: T, input: z.output<Patch>, nowMs: number) => void;
  /** Moves it along its lifecycle and announces the change, if it moved. */
  advance: (world: World, thing: T, input: z.output<Advance>) => Change | null;
  remove: (world: World, thing: T) => void;
  view: (thing: T) => View;
  bodies: { create: Create; patch: Patch; advance: Advance };
}

export function resourceRoutes<
  T extends { id: string },
  View,
  Change,
  Create extends z.ZodType<{ id?: string }>,
  Patch extends z.ZodType,
  Advance extends z.ZodType,
>(kind: Resource<T, View, Change, Create, Patch, Advance>): Hono<ControlEnv> {
  const app = new Hono<ControlEnv>();
  const path = `/__sim/${kind.many}`;
  const noun = kind.one;

  const find = (c: Context<ControlEnv>): T | Response => {
    const thing = kind.in(c.var.world).get(c.req.param("id") ?? "");
    return thing ?? c.json({ detail: `No such simulated ${noun}` }, 404);
  };
  const shown = (thing: T) => ({ [kind.one]: kind.view(thing) });

  app.post(path, async (c) => {
    const { world } = c.var;
    const input = await body(c, kind.bodies.create);
    if (input.id && kind.in(world).has(input.id))
      return c.json({ detail: `${noun[0]?.toUpperCase()}${noun.slice(1)} ${input.id} already exists` }, 409);
    const thing = kind.create(world, input);
    await world.flush();
    return c.json(shown(thing), 201);
  });

  app.get(path, (c) => c.json({ [kind.many]: [...kind.in(c.var.world).values()].map(kind.view) }));

  app.get(`${path}/:id`, (c) => {
    const thing = find(c);
    return thing instanceof Response ? thing : c.json(shown(thing));
  });

  app.patch(`${path}/:id`, async (c) => {
    const thing = find(c);
    if (thing instanceof Response) return thing;
    kind.patch(thing, await body(c, kind.bodies.patch), c.var.world.now());
    return c.json(shown(thing));
  });

  app.post(`${path}/:id/advance`, async (c) => {
    const thing = find(c);
    if (thing instanceof Response) return thing;
    const { world } = c.var;
    const change = kind.advance(world, thing, await body(c, kind.bodies.advance));
    await world.flush();
    return c.json({ ...shown(thing), changes: change ? [change] : [] });
  });

  app.delete(`${path}/:id`, (c) => {
    const thing = find(c);
    if (thing instanceof Response) return thing;
    kind.remove(c.var.world, thing);
    return c.json({ deleted: thing.id });
  });

  return app;
}
