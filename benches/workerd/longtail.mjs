// Generator for the long-tail ("real-shop traffic") bench, benches/workerd/longtail.sh.
//
// Writes into <workdir> everything the bench needs, and nothing into the repository:
//   backend.capnp   ONE workerd process (not measured) serving three loopback sockets:
//                   the origin (pages generated on the fly from the page id, ETag + 304),
//                   the KV service (vitrine's snapshot + catalog shards, the peer's rules and
//                   per-product recommendation records) and the colo's Cache API (cache.js:
//                   in memory, emptied by longtail.sh between runs as its COLO mode says)
//   <variant>.capnp the measured worker (passthrough, peer, vitrine[, alt]) whose ASSETS
//                   service, SNAPSHOTS KV namespace and Cache API (`cacheApiOutbound`) are
//                   `external` services pointing at the backend over loopback
//   paths.txt       the PAGES page paths in Zipf rank order ("<kind> <path>", kind p|c|i)
//   personas.txt    "<name> <cookie header value or ->" (loyal, price_hunter, anonymous, tampered)
//   samples.txt     a few pages for the correctness check
//   version.txt     the snapshot version
//
// The 100,000-product catalog (scripts/gen_catalog.py) and the snapshot vitrine compiles
// from it are cached under LT_CACHE (default /tmp/vitrine-longtail-cache), keyed by their inputs.
// LT_SNAPSHOT_DIR=<a snapshot-* directory of that cache> uses that snapshot instead (see below).
//
// usage: node longtail.mjs <workdir> <repo_root>
// env:   LT_PAGES (5000)  LT_PORTS="origin kv cache passthrough peer vitrine [alt]"  ALT_BUILD=<dir>
//        LT_CACHE  PEER_LRU (20000 peer recommendation records kept per isolate)
//        VITRINE_BIN (default <root>/target/debug/vitrine)  LT_SNAPSHOT_DIR
import { createHash, createHmac, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import {
  copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync,
  symlinkSync, writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";

const [out, root] = process.argv.slice(2).map((p) => p && resolve(p));
if (!out || !root) {
  console.error("usage: node longtail.mjs <workdir> <repo_root>");
  process.exit(2);
}
const PAGES = Number(process.env.LT_PAGES || 5000);
const PRODUCTS = 100000;
if (!(PAGES >= 10 && PAGES <= PRODUCTS)) {
  console.error(`LT_PAGES must be 10..${PRODUCTS} (product pages use distinct catalog ids)`);
  process.exit(2);
}
const [pOrigin, pKv, pCache, pPass, pPeer, pVit, pAlt] = (process.env.LT_PORTS || "").split(/\s+/).map(Number);
if (!pOrigin || !pKv || !pCache || !pPass || !pPeer || !pVit) {
  console.error("LT_PORTS must name 6 or 7 ports: origin kv cache passthrough peer vitrine [alt]");
  process.exit(2);
}
const altDir = process.env.ALT_BUILD || "";
const cache = process.env.LT_CACHE || "/tmp/vitrine-longtail-cache";
const peerLru = Number(process.env.PEER_LRU || 20000);
const bin = process.env.VITRINE_BIN || join(root, "target/debug/vitrine");
const sha = (s) => createHash("sha256").update(s).digest("hex");
const b64u = (buf) => Buffer.from(buf).toString("base64url"); // unpadded
mkdirSync(out, { recursive: true });
mkdirSync(cache, { recursive: true });

// Builds `dir` with `make(tmp)` unless it exists (atomically: a half-built cache is never used).
function cached(dir, make) {
  if (existsSync(join(dir, ".done"))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    make(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  writeFileSync(join(tmp, ".done"), "");
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

// --- the catalog: 100,000 products, generated once ------------------------------------------
const genCatalog = join(root, "scripts/gen_catalog.py");
const catKey = sha(readFileSync(genCatalog) + `|${PRODUCTS}`).slice(0, 12);
const catDir = cached(join(cache, `catalog-${PRODUCTS}-${catKey}`), (tmp) => {
  console.error(`longtail: generating the ${PRODUCTS}-product catalog into ${cache} (once)`);
  execFileSync("python3", [genCatalog, tmp, String(PRODUCTS)], { stdio: ["ignore", "ignore", "inherit"] });
});

// --- campaigns: 3 banner slots x (loyal, price_hunter, anonymous) + recommendations ------------
const BANNER_SLOTS = ["hero", "promo-strip", "listing-banner"];
const PERSONA_TEXT = {
  loyal: "Members save 15% this week",
  deal: "Today's deals: up to 40% off",
  anon: "New here? 10% off your first order",
};
const bannerHtml = (slot, who) =>
  `<div class="vt-lt vt-lt--${slot}--${who}"><p class="vt-lt__text">${PERSONA_TEXT[who]}</p>` +
  `<a class="vt-lt__cta" href="/c/garden/6" rel="noopener noreferrer">Shop now</a></div>`;
const RECS_HEAD = '<section class="vt-recs"><h2>You may also like</h2><div class="grid">';
const RECS_TAIL = "</div></section>";
// Written as the sanitizer outputs it (it adds rel="noopener noreferrer" to links), so the
// peer can render the very same bytes.
const ITEM_HTML =
  '<article class="vt-rec"><a href="{{product.url}}" rel="noopener noreferrer"><img src="{{product.image}}" alt="">{{product.name}}</a> €{{product.price}}</article>';
const rules = (slot) => [
  { campaign: `lt-${slot}-loyal`, priority: 30, audience: { kind: "segments", any: ["loyal"] }, html: bannerHtml(slot, "loyal") },
  { campaign: `lt-${slot}-deal`, priority: 20, audience: { kind: "segments", any: ["price_hunter"] }, html: bannerHtml(slot, "deal") },
  { campaign: `lt-${slot}-anon`, priority: 10, audience: { kind: "anonymous" }, html: bannerHtml(slot, "anon") },
];
const toml = [
  "# Generated by benches/workerd/longtail.mjs (the long-tail bench). Not a fixture.",
  "[activity]",
  'product_path = "/p/{id}"          # the anchor product of `related` recommendations',
  "",
  "[catalog]",
  `products = "../${catDir.split("/").pop()}/products.csv"`,
  `recommendations = "../${catDir.split("/").pop()}/recs.csv"`,
  `lists = "../${catDir.split("/").pop()}/lists.csv"`,
  "shard_size = 2000",
  "",
  ...BANNER_SLOTS.flatMap((slot) =>
    rules(slot).map((r) =>
      [
        "[[campaign]]",
        `id = ${JSON.stringify(r.campaign)}`,
        `slot = ${JSON.stringify(slot)}`,
        r.audience.kind === "anonymous" ? 'audience = "anonymous"' : `segments = ${JSON.stringify(r.audience.any)}`,
        `priority = ${r.priority}`,
        `html = ${JSON.stringify(r.html)}`,
        "",
      ].join("\n"),
    ),
  ),
  "[[campaign]]",
  'id = "lt-recs"',
  'slot = "recs"',
  'audience = "everyone"',
  'when = { path = "/p/*" }',
  `html = ${JSON.stringify(RECS_HEAD + "{{items}}" + RECS_TAIL)}`,
  "",
  "[campaign.recommend]",
  "items = 4",
  'strategies = [ { related = "also_viewed" }, { related = "also_bought" } ]',
  `item_html = ${JSON.stringify(ITEM_HTML)}`,
  "",
].join("\n");

// --- the snapshot, compiled by vitrine itself (cached: a debug build takes ~20 s) ------------
if (!existsSync(bin)) {
  execFileSync("cargo", ["build", "--quiet", "-p", "vitrine-cli", "--bin", "vitrine"], { cwd: root, stdio: "inherit" });
}
const binStat = statSync(bin);
const snapKey = sha(`${toml}|${catKey}|${binStat.size}|${binStat.mtimeMs}`).slice(0, 12);
// LT_SNAPSHOT_DIR: a snapshot directory of this cache compiled earlier (by another CLI build,
// e.g. when target/debug/vitrine already writes a newer schema than build/ reads); it must
// have been compiled from the very same campaign text.
const pinned = process.env.LT_SNAPSHOT_DIR;
if (pinned && readFileSync(join(pinned, "campaign.toml"), "utf8") !== toml) {
  console.error(`longtail: LT_SNAPSHOT_DIR=${pinned} was compiled from other campaigns`);
  process.exit(1);
}
const snapDir = pinned ? resolve(pinned) : cached(join(cache, `snapshot-${snapKey}`), (tmp) => {
  console.error("longtail: compiling the snapshot with `vitrine build` (cached afterwards)");
  writeFileSync(join(tmp, "campaign.toml"), toml);
  // The campaign file names the catalog relative to itself ("../catalog-…/"): the temporary
  // directory is a sibling of the final one, so the paths hold in both.
  const stdout = execFileSync(bin, ["build", join(tmp, "campaign.toml"), "-o", join(tmp, "snap.json")], {
    encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], cwd: tmp,
  });
  writeFileSync(join(tmp, "version.txt"), stdout.trim().split("\n").pop().trim());
});
const version = readFileSync(join(snapDir, "version.txt"), "utf8").trim();
// Keep the cache bounded: the 4 most recent snapshots (one per CLI build and campaign text).
readdirSync(cache)
  .filter((d) => d.startsWith("snapshot-") && join(cache, d) !== snapDir)
  .map((d) => [d, statSync(join(cache, d)).mtimeMs])
  .sort((a, b) => b[1] - a[1])
  .slice(3)
  .forEach(([d]) => rmSync(join(cache, d), { recursive: true, force: true }));
const shardDir = join(snapDir, "snap.json.catalog");
// `vitrine build -o snap.json` writes shard n to snap.json.catalog/<n>.<ext> (see shard_path in
// crates/cli); its KV key is snapshot/v/<version>/catalog/<n>.
const shardFiles = new Map(
  (existsSync(shardDir) ? readdirSync(shardDir) : [])
    .map((f) => [/^(\d+)\.\w+$/.exec(f), f])
    .filter(([m]) => m)
    .map(([m, f]) => [Number(m[1]), f]),
);
const shardCount = shardFiles.size;
if ([...shardFiles.keys()].some((n) => n >= shardCount)) {
  console.error(`longtail: shard files in ${shardDir} are not numbered 0..${shardCount - 1}`);
  process.exit(1);
}
if (shardCount === 0) {
  console.error(`longtail: the snapshot in ${snapDir} has no catalog shards`);
  process.exit(1);
}

// Link the big inputs into the work dir (capnp `embed` paths are relative to the config).
for (const [name, target] of [
  ["snap.json", join(snapDir, "snap.json")],
  ["shards", shardDir],
  ["products.csv", join(catDir, "products.csv")],
  ["recs.csv", join(catDir, "recs.csv")],
]) {
  rmSync(join(out, name), { force: true, recursive: true });
  symlinkSync(target, join(out, name));
}
writeFileSync(join(out, "campaign.toml"), toml);

// --- the peer's own rules document ------------------------------------------------------------
const peerDoc = JSON.stringify({
  schema: 1,
  version,
  slots: BANNER_SLOTS.map((name) => ({ name, rules: rules(name) })),
  recs: { slot: "recs", items: 4, head: RECS_HEAD, tail: RECS_TAIL, lru: peerLru },
});
writeFileSync(join(out, "peer-doc.json"), peerDoc);

// --- key ring and personas (cookies minted exactly as gen.mjs does) -----------------------------
const secret = randomBytes(32);
const keyRing = `k1:${b64u(secret)}`;
const header = b64u(JSON.stringify({ alg: "HS256", typ: "JWT", kid: "k1" }));
const exp = Math.floor(Date.now() / 1000) + 86400;
const mint = (sub, seg) => {
  const payload = b64u(JSON.stringify({ sub, seg, exp }));
  const sig = b64u(createHmac("sha256", secret).update(`${header}.${payload}`).digest());
  return { payload, sig, token: `${header}.${payload}.${sig}` };
};
const loyal = mint("lt-loyal", ["loyal"]);
const hunter = mint("lt-hunter", ["price_hunter"]);
const tampered = `${header}.${hunter.payload}.${loyal.sig}`; // a valid-looking token, wrong signature
writeFileSync(
  join(out, "personas.txt"),
  [
    `loyal vitrine_profile=${loyal.token}`,
    `price_hunter vitrine_profile=${hunter.token}`,
    "anonymous -",
    `tampered vitrine_profile=${tampered}`,
  ].join("\n") + "\n",
);
writeFileSync(join(out, "version.txt"), version);

// --- the pages: ids, kinds and paths (shared with origin.js through originCore) ----------------
const core = originCore(); // the same code the origin runs, evaluated here too
writeFileSync(
  join(out, "paths.txt"),
  Array.from({ length: PAGES }, (_, i) => `${core.kindOf(i)} ${core.pathOf(i)}`).join("\n") + "\n",
);
// Samples for the correctness check: product pages (one with tracking parameters, the same
// page), category pages (one with ?page=2, another page), a content page (no slots).
const firstOf = (k, skip = 0) => {
  for (let i = 0, n = 0; i < PAGES; i++) if (core.kindOf(i) === k && n++ === skip) return core.pathOf(i);
};
const samples = [
  firstOf("p"), `${firstOf("p")}?utm_source=google&utm_medium=cpc&utm_campaign=check&gclid=abc`, firstOf("p", 7),
  firstOf("c"), `${firstOf("c", 1)}?page=2`, firstOf("i"),
];
writeFileSync(join(out, "samples.txt"), samples.filter(Boolean).join("\n") + "\n");
{
  // Size check of the generator (cheap: a handful of pages).
  const sizes = [0, 1, 6, 9, 17, PAGES - 1].map((i) => Buffer.byteLength(core.render(i, 1)));
  if (sizes.some((s) => s < 50_000 || s > 155_000)) {
    console.error(`longtail: generated page sizes out of range: ${sizes}`);
    process.exit(1);
  }
}

// --- origin.js ---------------------------------------------------------------------------------
// Everything the origin needs is in originCore(): deterministic per page id, built from snippet
// pools made once per process by a seeded PRNG; the rendered bytes are kept in a small LRU.
writeFileSync(
  join(out, "origin.js"),
  `// Generated by benches/workerd/longtail.mjs: the long-tail bench origin (not measured).
const PAGES = ${PAGES};
${originCore.toString()}
const core = originCore();
const BY_PATH = new Map();
for (let i = 0; i < PAGES; i++) BY_PATH.set(core.pathOf(i), i);
const enc = new TextEncoder();
const LRU = new Map(); let lruBytes = 0; const LRU_MAX = 32 << 20;
function body(key, i, pageNo) {
  let b = LRU.get(key);
  if (b) { LRU.delete(key); LRU.set(key, b); return b; }
  b = enc.encode(core.render(i, pageNo));
  LRU.set(key, b); lruBytes += b.length;
  for (const [k, v] of LRU) { if (lruBytes <= LRU_MAX) break; LRU.delete(k); lruBytes -= v.length; }
  return b;
}
export default {
  async fetch(req) {
    const url = new URL(req.url);
    if (url.pathname === "/robots.txt") {
      return new Response("User-agent: *\\nAllow: /\\n", { headers: { "content-type": "text/plain" } });
    }
    const i = BY_PATH.get(url.pathname);
    if (i === undefined) return new Response("not found", { status: 404, headers: { "content-type": "text/plain" } });
    // Only ?page=N changes a page (category pages); tracking parameters never do.
    let pageNo = 1;
    if (core.kindOf(i) === "c") {
      const p = Number(url.searchParams.get("page") || "1");
      if (Number.isInteger(p) && p >= 1 && p <= 50) pageNo = p;
    }
    const key = pageNo === 1 ? url.pathname : url.pathname + "?page=" + pageNo;
    const etag = core.etag(key);
    const inm = req.headers.get("if-none-match");
    if (inm && inm.split(",").some((t) => t.trim() === etag)) {
      return new Response(null, { status: 304, headers: { etag, "cache-control": "public, max-age=0, must-revalidate" } });
    }
    return new Response(body(key, i, pageNo), {
      status: 200,
      headers: {
        "content-type": "text/html; charset=utf-8",
        etag,
        "cache-control": "public, max-age=0, must-revalidate",
      },
    });
  },
};
`,
);

// --- kv.js: vitrine's snapshot and shards, the peer's documents --------------------------------
const shardImports = Array.from({ length: shardCount }, (_, n) => `import shard${n} from "shard${n}.bin";`).join("\n");
writeFileSync(
  join(out, "kv.js"),
  `// Generated by benches/workerd/longtail.mjs: the long-tail bench KV service (not measured).
// workerd turns KV gets into HTTP GET <host>/<url-encoded key>[?...]
import snapshotJson from "snap.json";
import peerDoc from "peer-doc.json";
import productsCsv from "products.csv";
import recsCsv from "recs.csv";
${shardImports}
const VERSION = ${JSON.stringify(version)};
const SHARDS = [${Array.from({ length: shardCount }, (_, n) => `shard${n}`).join(", ")}];
const DATA = new Map([
  ["snapshot/current", VERSION],
  ["snapshot/v/" + VERSION, snapshotJson],
  ["peer/v/" + VERSION, peerDoc],
]);
SHARDS.forEach((s, n) => DATA.set("snapshot/v/" + VERSION + "/catalog/" + n, new Uint8Array(s)));
// The peer's per-product record: the anchor's also_viewed then also_bought products with what
// a card needs, built on demand from the catalog exports (rows are in id order, 2 recs rows each).
let products = null, recs = null;
function peerRec(id) {
  if (!products) { products = productsCsv.split("\\n"); recs = recsCsv.split("\\n"); }
  const i = /^p\\d{6}$/.test(id) ? Number(id.slice(1)) : -1;
  if (i < 0 || i + 1 >= products.length) return undefined;
  const a = recs[1 + 2 * i], b = recs[2 + 2 * i];
  if (!a || !b || !a.startsWith(id + ",also_viewed,") || !b.startsWith(id + ",also_bought,")) return undefined;
  const ids = a.split(",")[2].split(" ").concat(b.split(",")[2].split(" "));
  const items = [];
  for (const pid of ids) {
    const f = (products[1 + Number(pid.slice(1))] || "").split(",");
    if (f[0] !== pid) continue;
    items.push([pid, f[1], Number(f[2]), f[3], f[4], f[6] === "true"]);
  }
  return JSON.stringify({ id, items });
}
let misses = 0;
export default {
  async fetch(req) {
    if (req.method !== "GET") return new Response("read-only bench KV", { status: 405 });
    const url = new URL(req.url);
    let key = url.pathname.slice(1);
    try { key = decodeURIComponent(key); } catch {}
    let v = DATA.get(key);
    if (v === undefined && key.startsWith("peer/rec/")) v = peerRec(key.slice(9));
    if (v === undefined) {
      if (misses++ < 20) console.log("longtail-kv: miss " + key);
      return new Response("Not Found", { status: 404 });
    }
    return new Response(v, { status: 200 });
  },
};
`,
);

// --- workers and configs -----------------------------------------------------------------------
writeFileSync(join(out, "passthrough.js"), `export default { fetch(req, env) { return env.ASSETS.fetch(req); } };\n`);
copyFileSync(new URL("./peer-longtail.js", import.meta.url), join(out, "peer-longtail.js"));
copyFileSync(new URL("./cache.js", import.meta.url), join(out, "cache.js"));
copyFileSync(join(root, "build/index.js"), join(out, "index.js"));
copyFileSync(join(root, "build/index_bg.wasm"), join(out, "index_bg.wasm"));
if (altDir) {
  copyFileSync(join(altDir, "index.js"), join(out, "alt_index.js"));
  copyFileSync(join(altDir, "index_bg.wasm"), join(out, "alt_index_bg.wasm"));
}

writeFileSync(
  join(out, "backend.capnp"),
  `using Workerd = import "/workerd/workerd.capnp";
# The long-tail bench backend: origin, KV and the colo's cache, in their own process (never
# measured).
const config :Workerd.Config = (
  services = [
    (name = "origin", worker = .origin), (name = "kv", worker = .kv), (name = "cache", worker = .cache),
  ],
  sockets = [
    (name = "origin", address = "127.0.0.1:${pOrigin}", http = (), service = "origin"),
    (name = "kv", address = "127.0.0.1:${pKv}", http = (), service = "kv"),
    (name = "cache", address = "127.0.0.1:${pCache}", http = (), service = "cache"),
  ],
);
const cache :Workerd.Worker = (
  modules = [ (name = "cache.js", esModule = embed "cache.js") ],
  compatibilityDate = "2025-09-01",
);
const origin :Workerd.Worker = (
  modules = [ (name = "origin.js", esModule = embed "origin.js") ],
  compatibilityDate = "2025-09-01",
);
const kv :Workerd.Worker = (
  modules = [
    (name = "kv.js", esModule = embed "kv.js"),
    (name = "snap.json", text = embed "snap.json"),
    (name = "peer-doc.json", text = embed "peer-doc.json"),
    (name = "products.csv", text = embed "products.csv"),
    (name = "recs.csv", text = embed "recs.csv"),
${Array.from({ length: shardCount }, (_, n) => `    (name = "shard${n}.bin", data = embed "shards/${shardFiles.get(n)}"),`).join("\n")}
  ],
  compatibilityDate = "2025-09-01",
);
`,
);

const vars = {
  VITRINE_COOKIE_KEYS: keyRing,
  PAGE_SOURCE: "assets",
  SNAPSHOT_REFRESH_SECS: "10",
  KV_TIMEOUT_MS: "500",
  ATTRIBUTE_SLOTS: "off",
};
// ALT_VARS="NAME=value ...": settings the alt variant gets on top of `vars` (an A/B of settings
// of one build: ALT_BUILD=build ALT_VARS="MAP_FIRST_VIEWS=on").
const altVars = Object.fromEntries(
  (process.env.ALT_VARS || "").split(/\s+/).filter(Boolean).map((nv) => {
    const at = nv.indexOf("=");
    if (at < 1) throw new Error(`ALT_VARS: "${nv}" is not NAME=value`);
    return [nv.slice(0, at), nv.slice(at + 1)];
  }),
);
function measured(port, modules, extra = {}) {
  const own = Object.entries({ ...vars, ...extra })
    .map(([name, value]) => `\n    (name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)}),`)
    .join("");
  return `using Workerd = import "/workerd/workerd.capnp";
# The measured worker: pages and KV come from the backend process over loopback.
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .main),
    (name = "origin", external = (address = "127.0.0.1:${pOrigin}", http = ())),
    (name = "kv", external = (address = "127.0.0.1:${pKv}", http = ())),
    (name = "cache", external = (address = "127.0.0.1:${pCache}", http = ())),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const main :Workerd.Worker = (
  modules = [ ${modules} ],
  compatibilityDate = "2025-09-01",
  cacheApiOutbound = "cache",
  bindings = [
    (name = "ASSETS", service = "origin"),
    (name = "SNAPSHOTS", kvNamespace = "kv"),${own}
  ],
);
`;
}
writeFileSync(join(out, "passthrough.capnp"), measured(pPass, `(name = "passthrough.js", esModule = embed "passthrough.js")`));
writeFileSync(join(out, "peer.capnp"), measured(pPeer, `(name = "peer-longtail.js", esModule = embed "peer-longtail.js")`));
writeFileSync(
  join(out, "vitrine.capnp"),
  measured(pVit, `(name = "index.js", esModule = embed "index.js"), (name = "index_bg.wasm", wasm = embed "index_bg.wasm")`),
);
if (altDir && pAlt) {
  writeFileSync(
    join(out, "alt.capnp"),
    measured(pAlt, `(name = "index.js", esModule = embed "alt_index.js"), (name = "index_bg.wasm", wasm = embed "alt_index_bg.wasm")`, altVars),
  );
}
console.error(
  `longtail: pages=${PAGES} snapshot=${version} shards=${shardCount} catalog=${resolve(catDir)} ` +
    `sample sizes=${[0, 1, 6, 9].map((i) => Buffer.byteLength(core.render(i, 1))).join(",")}`,
);

// =================================================================================================
// The origin's page generator. Serialized with toString() into origin.js, so it must be
// self-contained (no closure over this module). Deterministic: the same (id, page number) gives
// the same bytes in every process and run; GEN bumps the ETag when the markup changes.
function originCore() {
  const GEN = "lt1";
  const CATS = ["dog", "cat", "garden", "kitchen", "toys", "books", "sport", "tools"];
  // 60% product pages, 30% category pages, 10% content pages, interleaved over the id space.
  const kindOf = (i) => { const r = i % 10; return r < 6 ? "p" : r < 9 ? "c" : "i"; };
  const pad6 = (n) => String(n).padStart(6, "0");
  // Product page i shows catalog product (i * 7919 + 12345) mod 100000: distinct for distinct i.
  const productOf = (i) => "p" + pad6((i * 7919 + 12345) % 100000);
  const pathOf = (i) => {
    const k = kindOf(i);
    if (k === "p") return "/p/" + productOf(i);
    if (k === "c") return "/c/" + CATS[Math.floor(i / 10) % CATS.length] + "/" + i;
    return "/info/" + i;
  };
  const fnv = (s) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
    return h >>> 0;
  };
  const etag = (key) => '"' + GEN + "-" + fnv(GEN + "|" + key).toString(16) + "-" + fnv(key + "|" + GEN).toString(16) + '"';
  const prng = (seed) => () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r0 = prng(20240601);
  const pick = (rng, a) => a[Math.floor(rng() * a.length)];
  const WORDS = ("soft durable eco handmade premium washable compact organic natural sturdy cosy bright classic " +
    "modern robust lightweight waterproof breathable ergonomic refillable stainless bamboo ceramic cotton wool " +
    "leather recycled timeless elegant practical generous gentle quiet reliable versatile foldable").split(" ");
  const NOUNS = ("bowl bed leash kettle shovel puzzle ball lamp mug brush blanket basket harness feeder planter " +
    "toy scratcher cushion glove rake pan knife board backpack bottle tent hammer drill saw novel atlas").split(" ");
  const sentence = (rng, n) => {
    const w = [];
    for (let i = 0; i < n; i++) w.push(i % 4 === 1 ? pick(rng, NOUNS) : pick(rng, WORDS));
    const s = w.join(" ");
    return s[0].toUpperCase() + s.slice(1) + ".";
  };
  const para = (rng, n) => { const s = []; for (let i = 0; i < n; i++) s.push(sentence(rng, 8 + Math.floor(rng() * 10))); return s.join(" "); };
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const SVG = {
    cart: '<svg class="icon icon--cart" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><path d="M7 18c-1.1 0-1.99.9-1.99 2S5.9 22 7 22s2-.9 2-2-.9-2-2-2zM1 2v2h2l3.6 7.59-1.35 2.45c-.16.28-.25.61-.25.96 0 1.1.9 2 2 2h12v-2H7.42c-.14 0-.25-.11-.25-.25l.03-.12.9-1.63h7.45c.75 0 1.41-.41 1.75-1.03l3.58-6.49A1.003 1.003 0 0 0 20 4H5.21l-.94-2H1z"/></svg>',
    heart: '<svg class="icon icon--heart" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path d="M12 21.35l-1.45-1.32C5.4 15.36 2 12.28 2 8.5 2 5.42 4.42 3 7.5 3c1.74 0 3.41.81 4.5 2.09C13.09 3.81 14.76 3 16.5 3 19.58 3 22 5.42 22 8.5c0 3.78-3.4 6.86-8.55 11.54L12 21.35z"/></svg>',
    star: '<svg class="icon icon--star" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false"><path d="M12 17.27L18.18 21l-1.64-7.03L22 9.24l-7.19-.61L12 2 9.19 8.63 2 9.24l5.46 4.73L5.82 21z"/></svg>',
    search: '<svg class="icon icon--search" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path d="M15.5 14h-.79l-.28-.27A6.47 6.47 0 0 0 16 9.5 6.5 6.5 0 1 0 9.5 16c1.61 0 3.09-.59 4.23-1.57l.27.28v.79l5 4.99L20.49 19l-4.99-5zm-6 0C7.01 14 5 11.99 5 9.5S7.01 5 9.5 5 14 7.01 14 9.5 11.99 14 9.5 14z"/></svg>',
    truck: '<svg class="icon icon--truck" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path d="M20 8h-3V4H3c-1.1 0-2 .9-2 2v11h2c0 1.66 1.34 3 3 3s3-1.34 3-3h6c0 1.66 1.34 3 3 3s3-1.34 3-3h2v-5l-3-4zM6 18.5c-.83 0-1.5-.67-1.5-1.5s.67-1.5 1.5-1.5 1.5.67 1.5 1.5-.67 1.5-1.5 1.5zm13.5-9l1.96 2.5H17V9.5h2.5zm-1.5 9c-.83 0-1.5-.67-1.5-1.5s.67-1.5 1.5-1.5 1.5.67 1.5 1.5-.67 1.5-1.5 1.5z"/></svg>',
    user: '<svg class="icon icon--user" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path d="M12 12c2.21 0 4-1.79 4-4s-1.79-4-4-4-4 1.79-4 4 1.79 4 4 4zm0 2c-2.67 0-8 1.34-8 4v2h16v-2c0-2.66-5.33-4-8-4z"/></svg>',
  };
  // Snippet pools, made once per process. "§" marks where a per-page sku/id goes (split/join).
  const CARDS = [];
  for (let k = 0; k < 48; k++) {
    const name = esc(sentence(r0, 3).slice(0, -1));
    const cents = 199 + Math.floor(r0() * 20000), was = cents + 100 + Math.floor(r0() * 3000);
    const rating = (3 + Math.floor(r0() * 20) / 10).toFixed(1);
    const img = "/img/p/" + k + "-§";
    CARDS.push(
      ('<div class="product-card" data-sku="§" data-position="' + k + '" data-list="grid" data-brand="' + pick(r0, NOUNS) + '" role="listitem">' +
        '<div class="product-card__media"><a href="/p/§" class="product-card__link" aria-label="' + name + '" data-track="card-click">' +
        '<img src="' + img + '-400.webp" srcset="' + img + "-200.webp 200w, " + img + "-400.webp 400w, " + img + '-800.webp 800w" ' +
        'sizes="(max-width: 600px) 50vw, (max-width: 1200px) 33vw, 25vw" width="400" height="400" alt="' + name + '" loading="lazy" decoding="async" style="aspect-ratio:1/1;object-fit:cover;background:#f4f1ec"></a>' +
        '<button class="wishlist" type="button" aria-pressed="false" aria-label="Add ' + name + ' to wishlist" data-action="wishlist" data-sku="§">' + SVG.heart + "</button>" +
        (r0() < 0.4 ? '<span class="badge badge--sale" aria-hidden="true">-' + Math.round((1 - cents / was) * 100) + "%</span>" : "") +
        "</div>" +
        '<div class="product-card__body"><div class="product-card__rating" role="img" aria-label="' + rating + ' out of 5 stars" data-rating="' + rating + '">' +
        SVG.star + SVG.star + SVG.star + SVG.star + '<span class="product-card__count">(' + Math.floor(r0() * 900) + ")</span></div>" +
        '<h3 class="product-card__title"><a href="/p/§">' + name + "</a></h3>" +
        '<div class="product-card__price" data-price-cents="' + cents + '"><span class="price price--now">€' + (cents / 100).toFixed(2) +
        '</span> <s class="price price--was" aria-label="was">€' + (was / 100).toFixed(2) + "</s></div>" +
        '<div class="product-card__actions"><form action="/cart/add" method="post" class="js-add-to-cart"><input type="hidden" name="sku" value="§">' +
        '<input type="hidden" name="qty" value="1"><button class="btn btn--primary" type="submit" data-track=\'{"event":"add_to_cart","sku":"§"}\'>' +
        SVG.cart + "<span>Add to cart</span></button></form></div></div></div>\n").split("§"),
    );
  }
  const REVIEWS = [];
  for (let k = 0; k < 40; k++) {
    REVIEWS.push(
      '<div class="review" itemprop="review" data-review-id="r' + k + '" data-helpful="' + Math.floor(r0() * 50) + '">' +
        '<div class="review__head"><div class="review__author"><span class="avatar" aria-hidden="true" style="background:hsl(' + Math.floor(r0() * 360) + ',40%,70%)">' +
        String.fromCharCode(65 + k % 26) + '</span><span class="review__name">' + pick(r0, ["Anna", "Ben", "Chloé", "Dario", "Emre", "Fatima", "Greta", "Hiro"]) + "</span></div>" +
        '<div class="review__stars" aria-label="' + (1 + k % 5) + ' stars">' + SVG.star.repeat(1 + (k % 5)) + "</div></div>" +
        '<div class="review__body"><p>' + esc(para(r0, 2 + (k % 3))) + "</p></div>" +
        '<div class="review__foot"><button type="button" class="link" aria-label="Helpful" data-action="helpful">Helpful</button> · <time datetime="2025-0' + (1 + k % 9) + '-1' + (k % 9) + '">' + (1 + k % 28) + " days ago</time></div></div>\n",
    );
  }
  const PARAS = [];
  for (let k = 0; k < 48; k++) PARAS.push("<p>" + esc(para(r0, 3 + (k % 5))) + "</p>\n");
  const SCRIPTS = [];
  for (let k = 0; k < 12; k++) {
    SCRIPTS.push(
      "<script>\n(function(w, d){\n  'use strict';\n" +
        "  var cfg = {currency: 'EUR', locale: 'de-DE', cart: '/cart', build: '" + (2024000 + k) + "', " +
        "tpl: '<div class=\"mini-cart__item\"><span class=\"name\">' + '</span></div>'};\n" +
        "  function row(item, i) { return '<div class=\"mini-cart__row\" data-i=\"' + i + '\">' + item.name + '</div>'; }\n" +
        "  function render(items) { var html = ''; for (var i = 0; i < items.length && i < " + (3 + k) + "; i++) { html += row(items[i], i); } return html + '</div>'; }\n" +
        "  var legacy = \"<vitrine-slot name=\\\"promo-strip\\\">not a slot, a string</vitrine-slot>\";\n" +
        "  if (w.innerWidth < 768 && d.cookie.indexOf('consent=1') < 0) { cfg.compact = 1 < 2; }\n" +
        "  var rows = []; for (var j = 0; j < " + (20 + k) + "; j++) { rows.push({name: '<b>' + j + '</b>', price: j * 1.5}); }\n" +
        "  w.__shop = w.__shop || {}; w.__shop['m" + k + "'] = {cfg: cfg, render: render, rows: rows, legacy: legacy};\n" +
        "  /* " + esc(para(r0, 4)) + " */\n" +
        "  d.addEventListener('DOMContentLoaded', function(){ var el = d.querySelector('[data-mini-cart]'); if (el && rows.length > 0) { el.innerHTML = render(rows); } });\n" +
        "})(window, document);\n</script>\n",
    );
  }
  const CSS = [];
  for (let k = 0; k < 6; k++) {
    let css = "";
    for (let j = 0; j < 40; j++) {
      css += ".c" + k + "-" + j + "{display:flex;gap:" + (j % 16) + "px;padding:" + (j % 7) + "px " + (j % 11) + "px;color:#" +
        Math.floor(r0() * 0xffffff).toString(16).padStart(6, "0") + ";border-radius:" + (j % 5) + "px}\n";
    }
    CSS.push('<style data-chunk="' + k + '">\n' + css + "@media (max-width:600px){.product-card{flex-basis:50%}}\n</style>\n");
  }
  const NAV =
    '<header class="site-header" role="banner"><div class="site-header__top"><a class="skip-link" href="#main">Skip to content</a>' +
    '<a class="logo" href="/" aria-label="Home"><svg viewBox="0 0 120 32" width="120" height="32" role="img" aria-label="Shop"><rect width="120" height="32" rx="6" fill="#1d3b2a"/><text x="14" y="22" fill="#fff" font-size="16">shop</text></svg></a>' +
    '<form class="search" role="search" action="/search" method="get"><label for="q" class="visually-hidden">Search</label><input id="q" name="q" type="search" placeholder="Search 100,000 products" autocomplete="off" aria-autocomplete="list" aria-controls="search-suggest" data-min-chars="2">' +
    '<button type="submit" aria-label="Search">' + SVG.search + '</button><div id="search-suggest" role="listbox" hidden></div></form>' +
    '<nav class="account" aria-label="Account"><a href="/account">' + SVG.user + '<span>Account</span></a><a href="/cart" data-mini-cart="1" aria-label="Cart, 0 items">' + SVG.cart + '<span class="count" aria-live="polite">0</span></a></nav></div>' +
    '<nav class="main-nav" aria-label="Categories"><ul class="main-nav__list">' +
    CATS.map((c, k) => '<li class="main-nav__item" data-cat="' + c + '"><a href="/c/' + c + "/" + (6 + k * 10) + '" aria-haspopup="true" aria-expanded="false">' + c[0].toUpperCase() + c.slice(1) +
      '</a><div class="mega" hidden><div class="mega__col"><ul>' + [1, 2, 3, 4, 5].map((n) => '<li><a href="/c/' + c + "/" + (6 + k * 10 + n * 80) + '">' + pick(r0, WORDS) + " " + pick(r0, NOUNS) + "s</a></li>").join("") +
      "</ul></div></div></li>").join("") + "</ul></nav></header>\n";
  const FOOTER =
    '<footer class="site-footer" role="contentinfo"><div class="site-footer__cols">' +
    ["Service", "Shop", "Company", "Legal"].map((h) => '<div class="site-footer__col"><h4>' + h + "</h4><ul>" +
      [1, 2, 3, 4, 5, 6].map((n) => '<li><a href="/info/' + (9 + n * 10) + '">' + pick(r0, WORDS) + " " + pick(r0, NOUNS) + "</a></li>").join("") + "</ul></div>").join("") +
    '</div><form class="newsletter" action="/newsletter" method="post"><label for="nl">Newsletter</label><input id="nl" type="email" name="email" required aria-describedby="nl-help"><small id="nl-help">' + esc(sentence(r0, 12)) + '</small><button type="submit">Subscribe</button></form>' +
    '<div class="site-footer__pay" aria-label="Payment methods">' + ["visa", "mc", "paypal", "klarna"].map((p) => '<svg viewBox="0 0 38 24" width="38" height="24" role="img" aria-label="' + p + '"><rect width="38" height="24" rx="3" fill="#eee"/></svg>').join("") + "</div>" +
    '<p class="site-footer__copy">© 2025 Shop GmbH · <a href="/info/19">Imprint</a> · <a href="/info/29">Privacy</a></p></footer>\n';
  const NOSCRIPT = '<noscript><img height="1" width="1" style="display:none" alt="" src="/px?id=104455&amp;ev=PageView&amp;noscript=1"><p class="noscript">Please enable JavaScript for the cart.</p></noscript>\n';

  function cards(rng, out, n, i) {
    for (let k = 0; k < n; k++) out.push(pick(rng, CARDS).join(productOf(Math.floor(rng() * 100000))));
  }
  function render(i, pageNo) {
    const kind = kindOf(i), path = pathOf(i);
    const rng = prng(fnv(path + "#" + pageNo));
    const target = 50000 + Math.floor(rng() * 95000);
    const o = [];
    const title = kind === "p" ? esc(sentence(rng, 3).slice(0, -1)) + " (" + productOf(i) + ")"
      : kind === "c" ? CATS[Math.floor(i / 10) % CATS.length] + " – page " + pageNo : esc(sentence(rng, 5).slice(0, -1));
    o.push('<!doctype html>\n<html lang="en" data-page-kind="' + kind + '"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
      "<title>" + title + " | Shop</title>" + '<meta name="description" content="' + esc(sentence(rng, 16)) + '">' +
      '<link rel="canonical" href="https://shop.example' + path + '"><link rel="preload" href="/fonts/inter.woff2" as="font" type="font/woff2" crossorigin>' +
      '<meta property="og:title" content="' + title + '"><meta property="og:type" content="' + (kind === "p" ? "product" : "website") + '">\n');
    o.push(pick(rng, CSS));
    o.push('<script type="application/ld+json">' + JSON.stringify(kind === "p"
      ? { "@context": "https://schema.org", "@type": "Product", sku: productOf(i), name: title, description: "Fits bowls < 20 cm; see <b>care</b> notes</div>",
          offers: { "@type": "Offer", priceCurrency: "EUR", price: (5 + (i % 200)).toFixed(2), availability: "https://schema.org/InStock" },
          aggregateRating: { "@type": "AggregateRating", ratingValue: "4." + (i % 10), reviewCount: 10 + (i % 300) } }
      : { "@context": "https://schema.org", "@type": "BreadcrumbList", itemListElement: [{ "@type": "ListItem", position: 1, name: "Home", item: "https://shop.example/" },
          { "@type": "ListItem", position: 2, name: title, item: "https://shop.example" + path }] }) + "</script>\n");
    o.push(pick(rng, SCRIPTS));
    o.push('</head>\n<body class="page page--' + kind + '" data-page-id="' + i + '" data-ab="' + (i % 3) + '">\n<!-- tpl ' + kind + " · build " + GEN + " -->\n");
    o.push(NAV);
    const slots = kind !== "i";
    if (slots) o.push('<div class="promo-strip" role="region" aria-label="Offers">' + SVG.truck + '<vitrine-slot name="promo-strip">Free delivery from €49</vitrine-slot></div>\n');
    if (i % 2 === 0) o.push('<!-- kept for rollback, not a slot: <vitrine-slot name="hero"><div class="hero-old">Old hero</div></vitrine-slot> -->\n');
    o.push('<!-- <vitrine-slot name="x">disabled</vitrine-slot> -->\n<main id="main" class="main" role="main">\n');
    if (slots) o.push('<section class="hero" aria-label="Highlights"><vitrine-slot name="hero"><div class="hero-default" style="background-image:url(/img/hero-' + (i % 7) + '.jpg)"><h1 class="hero-default__title">' + esc(sentence(rng, 6)) + '</h1><a class="btn" href="/c/dog/6">Discover</a></div></vitrine-slot></section>\n');
    if (kind === "p") {
      const pid = productOf(i);
      o.push('<div class="pdp" data-product-id="' + pid + '" itemscope itemtype="https://schema.org/Product"><div class="pdp__gallery" role="region" aria-roledescription="carousel" aria-label="Images">');
      for (let k = 0; k < 5; k++) {
        const im = "/img/p/" + pid + "-" + k;
        o.push('<div class="pdp__slide" role="group" aria-roledescription="slide" aria-label="' + (k + 1) + ' of 5" data-index="' + k + '"><img src="' + im + '-800.webp" srcset="' + im + "-400.webp 400w, " + im + "-800.webp 800w, " + im + '-1600.webp 1600w" sizes="(max-width: 900px) 100vw, 50vw" width="800" height="800" alt="' + title + ", view " + (k + 1) + '" style="aspect-ratio:1/1"' + (k ? ' loading="lazy"' : ' fetchpriority="high"') + "></div>");
      }
      o.push('</div><div class="pdp__info"><h1 itemprop="name">' + title + '</h1><div class="pdp__price" data-price-cents="' + (500 + i % 20000) + '"><span itemprop="price" content="' + (5 + i % 200).toFixed(2) + '">€' + (5 + i % 200).toFixed(2) + "</span></div>" +
        '<form class="pdp__buy" action="/cart/add" method="post"><input type="hidden" name="sku" value="' + pid + '"><label for="qty">Quantity</label><select id="qty" name="qty">' + [1, 2, 3, 4, 5].map((n) => '<option value="' + n + '">' + n + "</option>").join("") +
        '</select><button class="btn btn--primary" type="submit" data-track=\'{"event":"add_to_cart","sku":"' + pid + '"}\'>' + SVG.cart + "Add to cart</button></form>" +
        '<div class="pdp__desc" itemprop="description">' + pick(rng, PARAS) + pick(rng, PARAS) + "</div>" +
        '<table class="specs"><caption>Specifications</caption><tbody>' + [1, 2, 3, 4, 5, 6, 7, 8].map((n) => '<tr><th scope="row">' + pick(rng, WORDS) + "</th><td>" + pick(rng, WORDS) + " " + n * 3 + " cm</td></tr>").join("") + "</tbody></table></div></div>\n");
      o.push('<vitrine-slot name="listing-banner"></vitrine-slot>\n');
      o.push('<section class="recs" aria-label="Recommendations"><vitrine-slot name="recs"><p class="recs__placeholder">Loading recommendations…</p></vitrine-slot></section>\n');
      o.push('<section class="reviews" aria-label="Reviews"><h2>Reviews</h2>');
      for (let k = 0; k < 6; k++) o.push(pick(rng, REVIEWS));
      o.push("</section>\n");
    } else if (kind === "c") {
      o.push('<div class="plp"><aside class="facets" aria-label="Filters"><form method="get">');
      for (const f of ["Brand", "Price", "Colour", "Size", "Rating"]) {
        o.push('<fieldset class="facet" data-facet="' + f.toLowerCase() + '"><legend>' + f + "</legend>");
        for (let k = 0; k < 6; k++) o.push('<label class="facet__opt"><input type="checkbox" name="' + f.toLowerCase() + '" value="v' + k + '" data-count="' + Math.floor(rng() * 400) + '"> ' + pick(rng, WORDS) + "</label>");
        o.push("</fieldset>");
      }
      o.push('</form></aside><div class="plp__main"><h1>' + title + '</h1><vitrine-slot name="listing-banner"><div class="listing-default">' + esc(sentence(rng, 9)) + '</div></vitrine-slot><div class="grid" role="list">\n');
      cards(rng, o, 24, i);
      o.push('</div><nav class="pagination" aria-label="Pages">' + [1, 2, 3, 4, 5].map((n) => '<a href="' + path + "?page=" + n + '"' + (n === pageNo ? ' aria-current="page"' : "") + ">" + n + "</a>").join("") + "</nav></div></div>\n");
    } else {
      o.push('<article class="content"><h1>' + title + "</h1>");
      for (let k = 0; k < 10; k++) o.push((k % 3 === 0 ? "<h2>" + esc(sentence(rng, 4)) + "</h2>" : "") + pick(rng, PARAS));
      o.push('<table class="info-table"><tbody>' + [1, 2, 3, 4].map((n) => "<tr><td>" + pick(rng, WORDS) + "</td><td>" + n + " days</td></tr>").join("") + "</tbody></table>");
    }
    let size = 0;
    for (const s of o) size += s.length;
    // Fill up to the page's target size with more of what such a page has.
    const fill = kind === "p" ? '<section class="more" aria-label="More products"><h2>Customers also looked at</h2><div class="carousel" role="list">\n'
      : kind === "c" ? '<section class="more" aria-label="Bestsellers"><h2>Bestsellers</h2><div class="grid" role="list">\n' : "<section>\n";
    o.push(fill);
    const tail = SCRIPTS[(i + 5) % SCRIPTS.length].length + FOOTER.length + NOSCRIPT.length + 400;
    while (size + tail < target) {
      const s = kind === "i" ? pick(rng, PARAS) : rng() < 0.8 ? pick(rng, CARDS).join(productOf(Math.floor(rng() * 100000))) : pick(rng, REVIEWS);
      o.push(s);
      size += s.length;
    }
    o.push(kind === "i" ? "</section></article>\n" : "</div></section>\n");
    o.push('<script type="text/template" id="tpl-toast"><div class="toast" role="status"><span>{{message}}</span></div></script>\n');
    o.push("</main>\n");
    o.push(FOOTER);
    o.push(NOSCRIPT);
    o.push(SCRIPTS[(i + 5) % SCRIPTS.length]);
    o.push('<script async src="/js/app.' + GEN + '.js"></script>\n</body>\n</html>\n');
    return o.join("");
  }
  return { kindOf, pathOf, productOf, etag, render, GEN };
}
