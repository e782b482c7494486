// Generates everything the side-by-side workerd bench needs into an output directory:
// three capnp configs (passthrough, peer, vitrine), the origin/KV/peer JS workers, the
// snapshot, the key ring and a signed profile cookie.
//
// usage: node gen.mjs <page.html> <outdir> <port_passthrough> <port_peer> <port_vitrine> <repo_root>
//                     [<port_alt> <alt_build_dir>]
// env:   NO_VALIDATOR=1  the origin sends no ETag (vitrine then always streams; no splicing)
import { createHash, createHmac, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const [page, out, pPass, pPeer, pVit, root, pAlt, altDir] = process.argv.slice(2);
const noValidator = process.env.NO_VALIDATOR === "1";
if (!root) {
  console.error("usage: node gen.mjs <page> <outdir> <port_pass> <port_peer> <port_vitrine> <repo_root>");
  process.exit(2);
}

const b64u = (buf) => Buffer.from(buf).toString("base64url"); // unpadded

// --- snapshot (the only place that knows vitrine's snapshot format and KV keys) -------------
// SNAPSHOT FORMAT: adapt this one function when the snapshot JSON or KV keys change. It returns
// the version the worker must report in x-vitrine and the KV entries to serve.
function snapshotKv() {
  // vitrine's snapshot is compiled by vitrine itself (`vitrine build`) from a campaign file, so
  // this script never mirrors the snapshot format. The peer gets the same rules in its own
  // plain JSON under `peer/v/<version>`.
  const slotNames = ["hero", "promo-strip", "listing-banner"];
  const html = (name, kind, text) =>
    `<div class="vt-banner vt-banner--${kind}">${text}</div>`;
  const rules = (name) => [
    { campaign: `bench-${name}-loyal`, audience: { kind: "segments", any: ["loyal"] },
      op: "replace", html: html(name, "loyal", "Members save 10%") },
    { campaign: `bench-${name}-anon`, audience: { kind: "anonymous" },
      op: "replace", html: html(name, "anonymous", "Join and save 10%") },
  ];
  const toml = slotNames
    .flatMap((name) =>
      rules(name).map((r, i) =>
        [
          "[[campaign]]",
          `id = ${JSON.stringify(r.campaign)}`,
          `slot = ${JSON.stringify(name)}`,
          r.audience.kind === "anonymous" ? 'audience = "anonymous"' : 'segments = ["loyal"]',
          `priority = ${10 - i}`,
          `html = ${JSON.stringify(r.html)}`,
          "",
        ].join("\n"),
      ),
    )
    .join("\n");
  writeFileSync(join(out, "bench.toml"), toml);
  const bin = process.env.VITRINE_BIN || join(root, "target/debug/vitrine");
  if (!existsSync(bin)) {
    execFileSync("cargo", ["build", "--quiet", "-p", "vitrine-cli", "--bin", "vitrine"], { cwd: root, stdio: "inherit" });
  }
  const snapPath = join(out, "bench.snapshot.json");
  const version = execFileSync(bin, ["build", join(out, "bench.toml"), "-o", snapPath], {
    encoding: "utf8",
  }).trim().split("\n").pop().trim();
  const peerDoc = JSON.stringify({
    schema: 1,
    version,
    slots: slotNames.map((name) => ({ name, rules: rules(name) })),
  });
  const kv = {
    "snapshot/current": version,
    [`snapshot/v/${version}`]: readFileSync(snapPath, "utf8"),
    [`peer/v/${version}`]: peerDoc,
  };
  return { version, kv };
}
const { version, kv } = snapshotKv();

// --- key ring and cookie -------------------------------------------------------------------
const secret = randomBytes(32);
const keyRing = `k1:${b64u(secret)}`;
const header = b64u(JSON.stringify({ alg: "HS256", typ: "JWT", kid: "k1" }));
const payload = b64u(
  JSON.stringify({ sub: "bench", seg: ["loyal"], exp: Math.floor(Date.now() / 1000) + 86400 }),
);
const sig = b64u(createHmac("sha256", secret).update(`${header}.${payload}`).digest());
const token = `${header}.${payload}.${sig}`;

// More personas for the load test: a segment no rule targets (nothing to fill) and a
// tampered token (rejected: served as anonymous).
const otherPayload = b64u(
  JSON.stringify({ sub: "bench2", seg: ["gardener"], exp: Math.floor(Date.now() / 1000) + 86400 }),
);
const otherSig = b64u(createHmac("sha256", secret).update(`${header}.${otherPayload}`).digest());
const tampered = `${header}.${otherPayload}.${sig}`;

// --- pages ---------------------------------------------------------------------------------
// `/` serves <page>; with LOAD_PAGES="a.html,b.html,..." the origin also serves /0, /1, ...
const pageBytes = readFileSync(page);
const etagOf = (bytes) => `"${createHash("sha256").update(bytes).digest("hex").slice(0, 32)}"`;
const etag = etagOf(pageBytes);
copyFileSync(page, join(out, "page.html"));
const extra = (process.env.LOAD_PAGES || "").split(",").filter(Boolean);
extra.forEach((p, i) => copyFileSync(p, join(out, `page${i}.html`)));
copyFileSync(join(root, "build/index.js"), join(out, "index.js"));
copyFileSync(join(root, "build/index_bg.wasm"), join(out, "index_bg.wasm"));
if (pAlt) {
  copyFileSync(join(altDir, "index.js"), join(out, "alt_index.js"));
  copyFileSync(join(altDir, "index_bg.wasm"), join(out, "alt_index_bg.wasm"));
}

// --- JS workers ----------------------------------------------------------------------------
writeFileSync(
  join(out, "origin.js"),
  `import page from "page.html";
${extra.map((_, i) => `import page${i} from "page${i}.html";`).join("\n")}
const PAGES = new Map([["/", [page, ${JSON.stringify(etag)}]]${extra
    .map((p, i) => `, ["/${i}", [page${i}, ${JSON.stringify(etagOf(readFileSync(p)))}]]`)
    .join("")}]);
const NO_VALIDATOR = ${noValidator};
export default {
  async fetch(req) {
    const hit = PAGES.get(new URL(req.url).pathname);
    if (!hit) return new Response("not found", { status: 404 });
    const [body, etag] = hit;
    if (!NO_VALIDATOR && req.headers.get("if-none-match") === etag) {
      return new Response(null, { status: 304, headers: { etag } });
    }
    const headers = { "content-type": "text/html; charset=utf-8" };
    if (!NO_VALIDATOR) headers.etag = etag;
    return new Response(body, { status: 200, headers });
  },
};
`,
);

// workerd turns KV gets into HTTP GET https://<host>/<url-encoded key>[?urlencoded=true&...]
writeFileSync(
  join(out, "kv.js"),
  `const DATA = new Map(Object.entries(${JSON.stringify(kv)}));
export default {
  async fetch(req) {
    const url = new URL(req.url);
    let key = url.pathname.slice(1);
    try { key = decodeURIComponent(key); } catch {}
    if (req.method !== "GET") return new Response("read-only bench KV", { status: 405 });
    const v = DATA.get(key);
    if (v === undefined) return new Response("Not Found", { status: 404 });
    return new Response(v, { status: 200 });
  },
};
`,
);

writeFileSync(
  join(out, "passthrough.js"),
  `export default { fetch(req, env) { return env.ASSETS.fetch(req); } };\n`,
);

writeFileSync(join(out, "peer.js"), readFileSync(new URL("./peer.js", import.meta.url)));

// --- capnp configs -------------------------------------------------------------------------
const common = `
const origin :Workerd.Worker = (
  modules = [ (name = "origin.js", esModule = embed "origin.js"),
              (name = "page.html", data = embed "page.html")${extra
                .map((_, i) => `,\n              (name = "page${i}.html", data = embed "page${i}.html")`)
                .join("")} ],
  compatibilityDate = "2025-09-01",
);
const kv :Workerd.Worker = (
  modules = [ (name = "kv.js", esModule = embed "kv.js") ],
  compatibilityDate = "2025-09-01",
);
`;
// ATTRIBUTE_SLOTS (default "off", as in wrangler.toml's production env: the bench pages use
// the tag form only). ALT_VARS="NAME=value …": the alt variant's vars differ (A/B of a setting
// with one build, e.g. ALT_BUILD=build ALT_VARS=ATTRIBUTE_SLOTS=on).
const vars = {
  VITRINE_COOKIE_KEYS: keyRing,
  PAGE_SOURCE: "assets",
  SNAPSHOT_REFRESH_SECS: "10",
  KV_TIMEOUT_MS: "500",
  ATTRIBUTE_SLOTS: process.env.ATTRIBUTE_SLOTS ?? "off",
};
const altVars = Object.fromEntries(
  (process.env.ALT_VARS ?? "").split(/\s+/).filter(Boolean).map((kv) => [kv.split("=")[0], kv.slice(kv.indexOf("=") + 1)]),
);

function config(variant, port, modules, over = {}) {
  const own = Object.entries({ ...vars, ...over })
    .map(([name, value]) => `\n    (name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)}),`)
    .join("");
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .main),
    (name = "origin", worker = .origin),
    (name = "kv", worker = .kv),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
${common}
const main :Workerd.Worker = (
  modules = [ ${modules} ],
  compatibilityDate = "2025-09-01",
  bindings = [
    (name = "ASSETS", service = "origin"),
    (name = "SNAPSHOTS", kvNamespace = "kv"),${own}
  ],
);
`;
}
writeFileSync(
  join(out, "passthrough.capnp"),
  config("passthrough", pPass, `(name = "passthrough.js", esModule = embed "passthrough.js")`),
);
writeFileSync(join(out, "peer.capnp"), config("peer", pPeer, `(name = "peer.js", esModule = embed "peer.js")`));
writeFileSync(
  join(out, "vitrine.capnp"),
  config(
    "vitrine",
    pVit,
    `(name = "index.js", esModule = embed "index.js"), (name = "index_bg.wasm", wasm = embed "index_bg.wasm")`,
  ),
);

if (pAlt) {
  // The same worker from another build directory (A/B of build settings in one run).
  writeFileSync(
    join(out, "alt.capnp"),
    config(
      "alt",
      pAlt,
      `(name = "index.js", esModule = embed "alt_index.js"), (name = "index_bg.wasm", wasm = embed "alt_index_bg.wasm")`,
      altVars,
    ).replace('"index.js", esModule = embed "alt_index.js"', '"index.js", esModule = embed "alt_index.js"'),
  );
}
writeFileSync(join(out, "cookie.txt"), token);
writeFileSync(join(out, "cookies.txt"), [token, `${header}.${otherPayload}.${otherSig}`, tampered].join("\n") + "\n");
writeFileSync(join(out, "version.txt"), version);
console.error(`gen: page=${resolve(page)} bytes=${pageBytes.length} snapshot=${version}`);
