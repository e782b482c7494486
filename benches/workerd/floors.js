// Floors for vitrine's first views (benches/workerd/floors.sh): what the runtime itself charges
// for the work a first view does, in plain JS on workerd's native HTMLRewriter, with no
// decision at all. The page comes from the bench's origin (`ASSETS`), and every slot
// (`<vitrine-slot name=…>`) gets the same 200-byte fragment. MODE picks the work:
//   stream        the slots filled as the page streams (what any rewriting worker pays);
//   stream_calls  the same, plus the runtime calls vitrine makes around it: a credential-free
//                 subrequest from allowlisted headers, the response headers copied with the
//                 per-visitor ones dropped, `Set-Cookie`, `Server-Timing`, `x-vitrine`, and the
//                 plan passed as JSON (src/source.rs, src/response.rs, src/native.rs);
//   stream_marked every slot boundary marked as src/native.rs marks it, the marked copy streamed
//                 (what the markers cost);
//   read_whole    the marked copy read whole and answered as one `Blob` (what reading whole costs);
//   map           the marked copy read whole, the markers found in JS and the slots' content
//                 replaced, the pieces answered as a `Blob` (the floor of a first view that is
//                 mapped in the parse that fills it, src/native.rs `personalize_mapped`).
const OPTIONS = { html: true };
const FRAG = `<div class="banner">${"x".repeat(180)}</div>`;
const MARKER = "\u0001vt0123456789abcdef0123456789abcdef\u0001";
const MB = new TextEncoder().encode(MARKER);
const FORWARDED = ["accept", "accept-encoding", "content-type", "if-match", "if-modified-since",
  "if-none-match", "if-range", "if-unmodified-since", "range", "user-agent"];
const DROPPED = ["etag", "last-modified", "cache-control", "expires", "age", "cdn-cache-control",
  "cloudflare-cdn-cache-control", "surrogate-control", "content-length", "set-cookie"];

function subrequest(req) {
  const from = req.headers;
  const headers = new Headers();
  for (const h of FORWARDED) {
    const v = from.get(h);
    if (v !== null) headers.append(h, v);
  }
  return new Request(req.url, { method: req.method, headers, redirect: "manual" });
}

function personalizedHeaders(upstream, calls) {
  const h = new Headers(upstream);
  if (!calls) {
    h.set("cache-control", "private, no-store");
    h.delete("etag");
    h.delete("content-length");
    return h;
  }
  for (const d of DROPPED) h.delete(d);
  h.set("cache-control", "private, no-store");
  h.set("x-vitrine", "personalized; v=0123456789abcdef; slots=3; body=streamed");
  h.append("set-cookie", `vitrine_activity=${"a".repeat(120)}; Path=/; Max-Age=31536000; HttpOnly; Secure; SameSite=Lax`);
  h.set("server-timing", 'page;desc="origin";dur=1.2, decide;dur=0.1, total;dur=1.5');
  return h;
}

function marking(seen) {
  const end = (tag) => {
    seen.push(null);
    tag.before(MARKER, OPTIONS);
    tag.after(MARKER, OPTIONS);
  };
  return new HTMLRewriter().on("vitrine-slot", {
    element(el) {
      const name = el.getAttribute("name");
      if (name === null) return;
      seen.push(name);
      el.before(MARKER, OPTIONS);
      el.prepend(MARKER, OPTIONS);
      try {
        el.onEndTag(end);
      } catch {}
    },
  });
}

function isMarker(buf, at) {
  if (at + MB.length > buf.length) return false;
  for (let i = 1; i < MB.length; i++) if (buf[at + i] !== MB[i]) return false;
  return true;
}

// The pieces of the page with every slot's content replaced: four markers per slot (before the
// start tag, after it, before the end tag, after it), as src/native.rs inserts them.
function spliced(buf) {
  const marks = [];
  let at = buf.indexOf(1);
  while (at !== -1) {
    if (isMarker(buf, at)) {
      marks.push(at);
      at = buf.indexOf(1, at + MB.length);
    } else {
      at = buf.indexOf(1, at + 1);
    }
  }
  if (marks.length % 4 !== 0) throw new Error(`markers: ${marks.length}, not four per slot`);
  const parts = [];
  let from = 0;
  for (let i = 0; i < marks.length; i += 4) {
    parts.push(buf.subarray(from, marks[i]));
    parts.push(buf.subarray(marks[i] + MB.length, marks[i + 1]));
    parts.push(FRAG);
    parts.push(buf.subarray(marks[i + 2] + MB.length, marks[i + 3]));
    from = marks[i + 3] + MB.length;
  }
  parts.push(buf.subarray(from));
  return parts;
}

export default {
  async fetch(req, env) {
    const mode = env.MODE;
    const calls = mode === "stream_calls";
    const res = await env.ASSETS.fetch(calls ? subrequest(req) : req);
    const type = res.headers.get("content-type") || "";
    if (res.status !== 200 || !type.startsWith("text/html")) return res;
    const headers = personalizedHeaders(res.headers, calls);
    if (mode === "stream" || calls) {
      const edits = new Map();
      if (calls) {
        const plan = JSON.stringify([["hero", "setInnerContent", FRAG],
          ["promo-strip", "setInnerContent", FRAG], ["listing-banner", "setInnerContent", FRAG]]);
        for (const [slot, method, html] of JSON.parse(plan)) edits.set(slot, [method, html]);
      }
      const rewriter = new HTMLRewriter().on("vitrine-slot", {
        element(el) {
          const name = el.getAttribute("name");
          if (name === null) return;
          const [method, html] = edits.get(name) ?? ["setInnerContent", FRAG];
          el[method](html, OPTIONS);
        },
      });
      return new Response(rewriter.transform(res).body, { status: 200, headers });
    }
    const marked = marking([]).transform(res);
    if (mode === "stream_marked") return new Response(marked.body, { status: 200, headers });
    const buf = new Uint8Array(await marked.arrayBuffer());
    if (mode === "read_whole") return new Response(new Blob([buf]), { status: 200, headers });
    if (mode === "map") return new Response(new Blob(spliced(buf)), { status: 200, headers });
    return new Response(`floors.js: unknown MODE ${mode}`, { status: 500 });
  },
};
