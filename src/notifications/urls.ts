/**
 * Which URLs a subscription may point at. Outside local development a receiver must be `https://`
 * on a public host: never loopback, private, link-local or otherwise internal addresses, however the
 * address is spelled (the WHATWG URL parser already turns `0x7f.1` or `2130706433` into 127.0.0.1).
 */

export type UrlCheck = { ok: true; url: string } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2000;

function ipv4Parts(host: string): number[] | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!match) return null;
  const parts = match.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

/** Addresses that are not on the public internet (RFC 6890 special-purpose blocks that matter here). */
function isInternalIpv4(parts: number[]): boolean {
  const [a = 0, b = 0] = parts;
  return (
    a === 0 || // "this" network
    a === 10 || // private
    a === 127 || // loopback
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local (cloud metadata lives here)
    (a === 172 && b >= 16 && b <= 31) || // private
    (a === 192 && b === 168) || // private
    (a === 192 && b === 0 && parts[2] === 0) || // IETF protocol assignments
    (a === 192 && b === 0 && parts[2] === 2) || // documentation (TEST-NET-1)
    (a === 198 && b === 51 && parts[2] === 100) || // documentation (TEST-NET-2)
    (a === 203 && b === 0 && parts[2] === 113) || // documentation (TEST-NET-3)
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  );
}

/**
 * Expands an IPv6 literal (without brackets) to eight 16-bit groups; null if it is not one. The URL
 * parser has already serialized it canonically (hex groups only, an embedded IPv4 part rewritten).
 */
function ipv6Groups(host: string): number[] | null {
  const halves = host.toLowerCase().split("::");
  if (halves.length > 2) return null;
  const parse = (s: string) =>
    s === "" ? [] : s.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : Number.NaN));
  const head = parse(halves[0] ?? "");
  const rest = halves.length === 2 ? parse(halves[1] ?? "") : [];
  if ([...head, ...rest].some(Number.isNaN)) return null;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  return [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
}

const ipv4Of = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff];

function isInternalIpv6(groups: number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, , g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const allZeroUntil = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (allZeroUntil(7) && (g7 === 0 || g7 === 1)) return true; // :: and ::1
  // Forms that carry an IPv4 address are judged by that address: IPv4-mapped (::ffff:a.b.c.d),
  // IPv4-compatible (::a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d) and 6to4 (2002:aabb:ccdd::).
  if (allZeroUntil(5) && (g5 === 0xffff || g5 === 0)) return isInternalIpv4(ipv4Of(g6, g7));
  if (allZeroUntil(4) && g4 === 0xffff && g5 === 0) return isInternalIpv4(ipv4Of(g6, g7));
  if (g0 === 0x2002) return isInternalIpv4(ipv4Of(g1, g2));
  return (
    (g0 === 0x2001 && g1 === 0) || // Teredo tunnels 2001::/32 hide the real address
    (g0 === 0x0100 && groups.slice(1, 4).every((g) => g === 0)) || // discard 100::/64
    (g0 & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (g0 & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (g0 & 0xffc0) === 0xfec0 || // site-local (deprecated) fec0::/10
    (g0 & 0xff00) === 0xff00 || // multicast
    g0 === 0x0064 || // NAT64 64:ff9b::/96 embeds an IPv4 address
    (g0 === 0x2001 && groups[1] === 0x0db8) // documentation
  );
}

/**
 * Special-use names (RFC 6761, 6762, 8375, ICANN's .internal) and suffixes that networks commonly use
 * for themselves: none of them names a public receiver.
 */
const RESERVED_SUFFIXES = [
  ".localhost",
  ".test",
  ".invalid",
  ".local",
  ".internal",
  ".lan",
  ".home.arpa",
  ".corp",
];

/** Host names that only ever resolve inside a network (`name` has no trailing dot). */
function isInternalName(name: string): boolean {
  return (
    name === "localhost" ||
    RESERVED_SUFFIXES.some((suffix) => name.endsWith(suffix) || name === suffix.slice(1)) ||
    !name.includes(".")
  );
}

export function checkSubscriptionUrl(raw: string, allowHttp: boolean): UrlCheck {
  if (raw.length > MAX_URL_LENGTH) {
    return { ok: false, reason: `url is longer than ${MAX_URL_LENGTH} characters.` };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "url is not a valid absolute URL." };
  }
  if (url.username || url.password) {
    return { ok: false, reason: "url must not carry credentials; every delivery is signed instead." };
  }
  if (url.protocol !== "https:" && !(allowHttp && url.protocol === "http:")) {
    return {
      ok: false,
      reason: allowHttp
        ? "url must be http:// or https://."
        : "url must be https:// (http:// only in local development).",
    };
  }
  if (allowHttp) return { ok: true, url: url.href };
  // "localhost.." and "127.0.0.1.." are the same hosts to a resolver: every trailing dot goes first.
  const host = url.hostname.replace(/\.+$/, "");
  const internal = host.startsWith("[")
    ? (() => {
        const groups = ipv6Groups(host.slice(1, -1));
        return groups === null || isInternalIpv6(groups);
      })()
    : (() => {
        const v4 = ipv4Parts(host);
        return v4 ? isInternalIpv4(v4) : isInternalName(host);
      })();
  if (internal) {
    return {
      ok: false,
      reason: "url must point at a public host, not a private, loopback, link-local or reserved one.",
    };
  }
  return { ok: true, url: url.href };
}
