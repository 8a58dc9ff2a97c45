// What the simulator's own tests share: a fresh tenant (its own API key, so no test sees another's
// jobs) with its control client and an authorised request to the simulated LlamaCloud API.
import { simControl } from "../../sim/control";

/** A tenant keyed `llx-sim-<name>-<uuid>`; `get` requests `base` + path with the tenant's key. */
export function simTenant(name: string, base: string) {
  const apiKey = `llx-sim-${name}-${crypto.randomUUID()}`;
  const sim = simControl({ apiKey });
  const get = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${apiKey}`, ...init.headers } });
  return { apiKey, sim, get };
}
