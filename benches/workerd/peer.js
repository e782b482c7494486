// Peer: the same per-request work as vitrine, written in JS on workerd's native HTMLRewriter.
// Verify the HS256 profile cookie with WebCrypto, read the snapshot from KV (cached in a module
// global, refreshed every SNAPSHOT_REFRESH_SECS), pick the first matching rule per slot and
// fill <vitrine-slot name=...> elements.
const enc = new TextEncoder();
const dec = new TextDecoder();
let keys = null; // Map kid -> CryptoKey
let snap = null; // { version, slots: Map name -> rules }
let snapAt = 0;

function b64uDecode(s) {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

async function keyRing(env) {
  if (keys) return keys;
  const m = new Map();
  for (const entry of (env.VITRINE_COOKIE_KEYS || "").split(",")) {
    const i = entry.indexOf(":");
    if (i <= 0) continue;
    const k = await crypto.subtle.importKey(
      "raw", b64uDecode(entry.slice(i + 1).trim()), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    m.set(entry.slice(0, i).trim(), k);
  }
  return (keys = m);
}

function readCookie(header, name) {
  if (!header) return null;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

async function profile(req, env) {
  const tok = readCookie(req.headers.get("cookie"), "vitrine_profile");
  if (!tok) return null;
  const parts = tok.split(".");
  if (parts.length !== 3) return null;
  try {
    const h = JSON.parse(dec.decode(b64uDecode(parts[0])));
    if (h.alg !== "HS256") return null;
    const key = (await keyRing(env)).get(h.kid);
    if (!key) return null;
    const ok = await crypto.subtle.verify(
      "HMAC", key, b64uDecode(parts[2]), enc.encode(parts[0] + "." + parts[1]));
    if (!ok) return null;
    const p = JSON.parse(dec.decode(b64uDecode(parts[1])));
    if (typeof p.exp !== "number" || Date.now() / 1000 > p.exp) return null;
    return { segments: Array.isArray(p.seg) ? p.seg : [] };
  } catch {
    return null;
  }
}

async function snapshot(env) {
  const now = Date.now();
  const ttl = Number(env.SNAPSHOT_REFRESH_SECS || "10") * 1000;
  if (snap && now - snapAt < ttl) return snap;
  try {
    const version = await env.SNAPSHOTS.get("snapshot/current");
    if (!version) return snap;
    if (!snap || snap.version !== version) {
      const doc = await env.SNAPSHOTS.get(`peer/v/${version}`, "json");
      if (!doc || doc.schema !== 1) return snap;
      snap = { version: doc.version, slots: new Map(doc.slots.map((s) => [s.name, s.rules])) };
    }
    snapAt = now;
  } catch {}
  return snap;
}

function matches(aud, prof) {
  switch (aud.kind) {
    case "everyone": return true;
    case "anonymous": return prof === null;
    case "segments": return prof !== null && aud.any.some((s) => prof.segments.includes(s));
    default: return false;
  }
}

export default {
  async fetch(req, env) {
    const [res, prof, s] = await Promise.all([env.ASSETS.fetch(req), profile(req, env), snapshot(env)]);
    const ct = res.headers.get("content-type") || "";
    if (!s || res.status !== 200 || !ct.startsWith("text/html")) return res;
    const chosen = new Map();
    for (const [name, rules] of s.slots) {
      const r = rules.find((r) => matches(r.audience, prof));
      if (r) chosen.set(name, r);
    }
    const headers = new Headers(res.headers);
    headers.set("cache-control", "private, no-store");
    headers.delete("etag");
    headers.set("x-peer", `v=${s.version}; slots=${chosen.size}`);
    const out = new HTMLRewriter()
      .on("vitrine-slot", {
        element(el) {
          const r = chosen.get(el.getAttribute("name"));
          if (r) el.setInnerContent(r.html, { html: true });
        },
      })
      .transform(new Response(res.body, { status: 200, headers }));
    return out;
  },
};
