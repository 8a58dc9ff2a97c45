// An in-memory webhook receiver for tests of outbound notifications. Each named receiver records
// every request (method, headers, raw body) and answers as scripted: statuses, redirects, delays.
//
// Naming: a request to `{name}.receiver.test` goes to receiver `name`; otherwise the first path
// segment is the name (`http://receiver.test/{name}/…`, `http://127.0.0.1:8788/receiver/{name}/…`).
// Control (never recorded):
//   POST   /__receiver/{name}/script    {"responses"?: [Scripted…], "default"?: Scripted}
//   GET    /__receiver/{name}/requests  → {"requests": [Received…]}
//   DELETE /__receiver/{name}           forget its requests and script

export interface ScriptedResponse {
  /** Default 200 (302 with `redirect_to`). */
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Wait this long before answering (past the sender's timeout, it is a timeout). */
  delay_ms?: number;
  /** Answer a redirect to this URL. */
  redirect_to?: string;
  /** Use this answer for this many requests before moving on to the next; default 1. */
  times?: number;
}

export interface ReceivedRequest {
  seq: number;
  received_at: string;
  method: string;
  url: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The status answered; null while a delayed answer is pending. */
  answered_status: number | null;
}

interface ReceiverState {
  requests: ReceivedRequest[];
  script: ScriptedResponse[];
  fallback: ScriptedResponse;
}

const HOST_SUFFIX = ".receiver.test";
const OK: ScriptedResponse = { status: 200, body: { received: true } };

export interface Receiver {
  fetch: (request: Request) => Promise<Response>;
}

/** `basePath`: where the receiver is mounted (`/receiver` in the Node server, nothing on receiver.test). */
export function createReceiver(basePath = ""): Receiver {
  const receivers = new Map<string, ReceiverState>();
  const stateOf = (name: string): ReceiverState => {
    let state = receivers.get(name);
    if (!state) {
      state = { requests: [], script: [], fallback: OK };
      receivers.set(name, state);
    }
    return state;
  };

  async function control(request: Request, name: string, action: string | undefined): Promise<Response> {
    if (request.method === "POST" && action === "script") {
      let input: { responses?: ScriptedResponse[]; default?: ScriptedResponse };
      try {
        input = (await request.json()) as typeof input;
      } catch {
        return Response.json({ detail: "body is not valid JSON" }, { status: 400 });
      }
      const state = stateOf(name);
      state.script = (input.responses ?? []).map((entry) => ({ ...entry }));
      state.fallback = input.default ?? OK;
      return Response.json({ name, responses: state.script, default: state.fallback });
    }
    if (request.method === "GET" && action === "requests") {
      return Response.json({ requests: stateOf(name).requests });
    }
    if (request.method === "DELETE" && action === undefined) {
      receivers.delete(name);
      return Response.json({ deleted: name });
    }
    return Response.json({ detail: "No such receiver control route" }, { status: 404 });
  }

  async function capture(request: Request, name: string, path: string): Promise<Response> {
    const state = stateOf(name);
    const received: ReceivedRequest = {
      seq: state.requests.length + 1,
      received_at: new Date().toISOString(),
      method: request.method,
      url: request.url,
      path,
      headers: Object.fromEntries([...request.headers].map(([key, value]) => [key.toLowerCase(), value])),
      body: await request.text(),
      answered_status: null,
    };
    state.requests.push(received);
    const scripted = nextAnswer(state);
    if (scripted.delay_ms) await new Promise((resolve) => setTimeout(resolve, scripted.delay_ms));
    const response = render(scripted);
    received.answered_status = response.status;
    return response;
  }

  return {
    fetch: async (request) => {
      const url = new URL(request.url);
      const path = url.pathname.startsWith(basePath)
        ? url.pathname.slice(basePath.length) || "/"
        : url.pathname;
      const controlMatch = path.match(/^\/__receiver\/([^/]+)(?:\/(script|requests))?\/?$/);
      if (controlMatch?.[1]) return control(request, decodeURIComponent(controlMatch[1]), controlMatch[2]);
      if (url.hostname.endsWith(HOST_SUFFIX))
        return capture(request, url.hostname.slice(0, -HOST_SUFFIX.length), path);
      const [, first = "", ...rest] = path.split("/");
      return capture(request, first === "" ? "default" : decodeURIComponent(first), `/${rest.join("/")}`);
    },
  };
}

function nextAnswer(state: ReceiverState): ScriptedResponse {
  const head = state.script[0];
  if (!head) return state.fallback;
  const times = head.times ?? 1;
  if (times <= 1) state.script.shift();
  else head.times = times - 1;
  return head;
}

function render(scripted: ScriptedResponse): Response {
  const headers = new Headers(scripted.headers);
  if (scripted.redirect_to) {
    headers.set("location", scripted.redirect_to);
    return new Response(null, { status: scripted.status ?? 302, headers });
  }
  const status = scripted.status ?? 200;
  // 204 and 304 must not carry a body.
  if (status === 204 || status === 304 || scripted.body === undefined)
    return new Response(null, { status, headers });
  if (typeof scripted.body === "string") return new Response(scripted.body, { status, headers });
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return new Response(JSON.stringify(scripted.body), { status, headers });
}
