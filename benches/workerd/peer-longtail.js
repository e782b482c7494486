// Peer for the long-tail bench (benches/workerd/longtail.sh): the same per-request work as
// vitrine, in plain JS on workerd's native HTMLRewriter. Started, like vitrine, in a cold
// isolate for every measured run; its data comes from the bench's KV service over loopback.
//
// Per request: verify the HS256 profile cookie with WebCrypto (key ring VITRINE_COOKIE_KEYS);
// read the rules from KV (`snapshot/current` -> `peer/v/<version>`, kept in a module global,
// re-checked every SNAPSHOT_REFRESH_SECS, as peer.js does); pick the highest-priority matching
// rule per banner slot; on a product page (/p/<id>) also read the anchor product's record
// `peer/rec/<id>` (its also_viewed then also_bought products, kept in an LRU Map of bounded
// size), choose 4 in-stock products that are not the page's own and not repeated, render them
// as cards with escaping, and fill the `recs` slot. Fill <vitrine-slot name=...> elements with
// HTMLRewriter; the response is private, no-store and has no ETag, like vitrine's.
// (benches/workerd/peer.js, the single-page bench's peer, is left as it is.)
const enc = new TextEncoder();
const dec = new TextDecoder();
let keys = null; // Map kid -> CryptoKey
let snap = null; // { version, slots: [[name, rules sorted by priority]], recs }
let snapAt = 0;
const recLru = new Map(); // product id -> record (insertion order = recency)

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
      snap = {
        version: doc.version,
        slots: doc.slots.map((s) => [s.name, [...s.rules].sort((a, b) => b.priority - a.priority)]),
        recs: doc.recs,
      };
      recLru.clear();
    }
    snapAt = now;
  } catch {}
  return snap;
}

// The anchor product's record, from the LRU or KV (null when KV has none or fails).
async function record(env, id, max) {
  const hit = recLru.get(id);
  if (hit !== undefined) {
    recLru.delete(id);
    recLru.set(id, hit);
    return hit;
  }
  let rec = null;
  try {
    rec = await env.SNAPSHOTS.get(`peer/rec/${id}`, "json");
  } catch {}
  recLru.set(id, rec);
  if (recLru.size > max) recLru.delete(recLru.keys().next().value);
  return rec;
}

function matches(aud, prof) {
  switch (aud.kind) {
    case "everyone": return true;
    case "anonymous": return prof === null;
    case "segments": return prof !== null && aud.any.some((s) => prof.segments.includes(s));
    default: return false;
  }
}

const escText = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const escAttr = (s) => escText(s).replace(/"/g, "&quot;");
const price = (cents) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

function recsHtml(cfg, anchor, rec) {
  if (!rec || !Array.isArray(rec.items)) return null;
  const seen = new Set([anchor]);
  let cards = "";
  let n = 0;
  for (const [id, name, cents, url, image, inStock] of rec.items) {
    if (n >= cfg.items) break;
    if (!inStock || seen.has(id)) continue;
    seen.add(id);
    n++;
    cards += `<article class="vt-rec"><a href="${escAttr(url)}" rel="noopener noreferrer"><img src="${escAttr(image)}" alt="">${escText(name)}</a> €${price(cents)}</article>`;
  }
  return n ? cfg.head + cards + cfg.tail : null;
}

const PRODUCT = /^\/p\/([A-Za-z0-9._-]{1,64})$/;

export default {
  async fetch(req, env) {
    const path = new URL(req.url).pathname;
    const m = PRODUCT.exec(path);
    const sp = snapshot(env);
    const [res, prof, s, rec] = await Promise.all([
      env.ASSETS.fetch(req),
      profile(req, env),
      sp,
      // The record lookup needs the rules (its LRU bound); on a cache hit it costs no I/O.
      m ? sp.then((s) => (s ? record(env, m[1], s.recs.lru) : null)) : null,
    ]);
    const ct = res.headers.get("content-type") || "";
    if (!s || res.status !== 200 || !ct.startsWith("text/html")) return res;
    const chosen = new Map();
    for (const [name, rules] of s.slots) {
      const r = rules.find((r) => matches(r.audience, prof));
      if (r) chosen.set(name, r.html);
    }
    if (m) {
      const html = recsHtml(s.recs, m[1], rec);
      if (html) chosen.set(s.recs.slot, html);
    }
    const headers = new Headers(res.headers);
    headers.set("cache-control", "private, no-store");
    headers.delete("etag");
    headers.delete("content-length");
    headers.set("x-peer", `v=${s.version}; slots=${chosen.size}`);
    return new HTMLRewriter()
      .on("vitrine-slot", {
        element(el) {
          const html = chosen.get(el.getAttribute("name"));
          if (html !== undefined) el.setInnerContent(html, { html: true });
        },
      })
      .transform(new Response(res.body, { status: 200, headers }));
  },
};
