import { secureHeaders } from "hono/secure-headers";
import { limitBody, requireUtf8Body } from "./http/body";
import { requestScope } from "./http/context";
import { errorResponse, handleError } from "./http/errors";
import { openApiDocument, router } from "./http/openapi";
import { healthRoutes } from "./http/routes/health";
import { itemRoutes } from "./http/routes/items";
import { jobRoutes } from "./http/routes/jobs";
import { metricsRoutes } from "./http/routes/metrics";
import { subscriptionRoutes } from "./http/routes/subscriptions";
import { watchRoutes } from "./http/routes/watches";
import { webhookRoutes } from "./http/routes/webhooks";
import { pageRoutes } from "./pages/routes";

const app = router();

// overwrite: false keeps a header a route chose itself (the badge must be embeddable cross-origin).
app.use(secureHeaders({ overwrite: false }));
// Bodies are read once, into memory, at most 64 KiB (413 beyond; see http/body.ts for why the rest of
// an oversized body is read out first). The JSON API's bodies must be UTF-8.
app.use("*", limitBody);
app.use("/api/*", requireUtf8Body);

// One database handle and one config per request, on c.var for every route below.
app.use("*", requestScope);

// API answers are per-caller and may carry a secret once (a new subscription): never cache them.
app.use("/api/*", async (c, next) => {
  await next();
  c.res.headers.set("Cache-Control", "no-store");
});

const routes = app
  .route("/", healthRoutes)
  .route("/", metricsRoutes)
  .route("/", jobRoutes)
  .route("/", itemRoutes)
  .route("/", subscriptionRoutes)
  .route("/", watchRoutes)
  .route("/", webhookRoutes);
// HTML pages: their own CSP and auth challenge, outside the typed JSON API.
app.route("/", pageRoutes);

app.doc31("/openapi.json", openApiDocument);
app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
app.openAPIRegistry.registerComponent("securitySchemes", "basic", { type: "http", scheme: "basic" });

app.notFound((c) => errorResponse(c, "not_found", "There is nothing at this address."));
app.onError(handleError);

export { app };
/** The typed API, for `hono/client`: `hc<AppType>(baseUrl)`. */
export type AppType = typeof routes;
