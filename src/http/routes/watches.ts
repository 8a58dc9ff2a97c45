import { z } from "@hono/zod-openapi";
import { createWatch, deleteWatch, listWatches } from "../../db/watches";
import { APIS } from "../../model";
import { presentWatch, watchSchema } from "../../present/watches";
import { notFound } from "../errors";
import { idInput, labelInput, optionalInput } from "../inputs";
import { DELETED, errorAnswer, jsonContent, readRoute, router, writeRoute } from "../openapi";

const createBody = z
  .object({
    project_id: idInput.openapi({ example: "prj-0b7c5d1e" }),
    organization_id: optionalInput(idInput),
    apis: optionalInput(z.array(z.enum(APIS)).min(1).max(APIS.length)).openapi({
      description: "The generations to discover (each at most once); omit (or null) for both.",
    }),
    label: optionalInput(labelInput),
  })
  .strict()
  .refine((body) => !body.apis || new Set(body.apis).size === body.apis.length, {
    message: "apis must not name a generation twice",
    path: ["apis"],
  });

const watchIdParam = z.object({
  id: idInput.openapi({ param: { name: "id", in: "path" }, example: "wat_5b0c8e2f7a1d4c3b9e6f0a1b2c3d4e5f" }),
});

const watchAnswer = z.object({ watch: watchSchema });

export const watchRoutes = router()
  .openapi(
    writeRoute({
      method: "post",
      path: "/api/watches",
      operationId: "createWatch",
      summary: "Watch a LlamaCloud project: its batches are discovered and tracked by the tick",
      request: { body: { content: { "application/json": { schema: createBody } }, required: true } },
      responses: {
        201: jsonContent(watchAnswer, "Now watched; the next tick scans it"),
        200: jsonContent(watchAnswer, "The project is already watched: its watch, unchanged"),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { row, created } = await createWatch(
        c.var.db,
        {
          projectId: body.project_id,
          organizationId: body.organization_id ?? null,
          apis: body.apis ?? [...APIS],
          label: body.label ?? null,
        },
        Date.now(),
      );
      return c.json({ watch: presentWatch(row) }, created ? 201 : 200);
    },
  )
  .openapi(
    readRoute({
      method: "get",
      path: "/api/watches",
      operationId: "listWatches",
      summary: "Watched projects, newest first",
      responses: {
        200: jsonContent(z.object({ watches: z.array(watchSchema) }), "Every watch"),
      },
    }),
    async (c) => {
      const rows = await listWatches(c.var.db);
      return c.json({ watches: rows.map(presentWatch) }, 200);
    },
  )
  .openapi(
    writeRoute({
      method: "delete",
      path: "/api/watches/{id}",
      operationId: "deleteWatch",
      summary: "Stop discovering a project's batches (the jobs found stay tracked)",
      request: { params: watchIdParam },
      responses: {
        ...DELETED,
        404: errorAnswer("No such watch"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await deleteWatch(c.var.db, id))) throw notFound("watch", id);
      return c.body(null, 204);
    },
  );
