// The long-tail bench's Cache API: what a colo's cache is to the measured worker, in the
// backend process (never measured), reached through workerd's `cacheApiOutbound` over loopback.
// It speaks workerd's cache protocol (the one miniflare's cache worker serves): GET is
// `cache.match` (a hit is the stored response with `CF-Cache-Status: HIT`, a miss a 504 with
// `CF-Cache-Status: MISS`), PUT is `cache.put` (the body is the response serialized as an
// HTTP/1.1 message), PURGE is `cache.delete`; the cache name comes in `cf-cache-namespace`.
// Entries live in memory, kept for their `max-age`/`s-maxage` (responses without one, or with
// `private`, `no-store` or `Set-Cookie`, are refused as the Cache API refuses them), at most
// MAX_ENTRIES (oldest first out).
//
// Bench controls (not part of the Cache API; longtail.sh uses them between runs):
//   DELETE <any URL>   empties the cache (a cold colo); answers {"deleted": n}
//   OPTIONS <any URL>  counts since the last DELETE or OPTIONS: {"entries", "hits", "misses",
//                      "puts"} (and starts counting again)
const MAX_ENTRIES = 1_000_000;
const entries = new Map(); // namespace + " " + url -> { status, headers, body, expires }
let hits = 0, misses = 0, puts = 0;

const CRLF2 = new Uint8Array([13, 10, 13, 10]);
function headEnd(bytes) {
  outer: for (let i = 0; i + 4 <= bytes.length; i++) {
    for (let j = 0; j < 4; j++) if (bytes[i + j] !== CRLF2[j]) continue outer;
    return i;
  }
  return -1;
}

function lifetime(headers) {
  const cc = (headers.get("cache-control") || "").toLowerCase();
  if (/(^|,)\s*(private|no-store)\b/.test(cc) || headers.has("set-cookie")) return 0;
  const m = /(?:^|,)\s*s-maxage\s*=\s*(\d+)/.exec(cc) || /(?:^|,)\s*max-age\s*=\s*(\d+)/.exec(cc);
  return m ? Number(m[1]) : 0;
}

export default {
  async fetch(request) {
    const key = `${request.headers.get("cf-cache-namespace") || ""} ${request.url}`;
    switch (request.method) {
      case "GET": {
        const hit = entries.get(key);
        if (!hit || hit.expires <= Date.now()) {
          if (hit) entries.delete(key);
          misses++;
          return new Response(null, { status: 504, headers: { "cf-cache-status": "MISS" } });
        }
        hits++;
        const headers = new Headers(hit.headers);
        headers.set("cf-cache-status", "HIT");
        return new Response(hit.body, { status: hit.status, headers });
      }
      case "PUT": {
        const bytes = new Uint8Array(await request.arrayBuffer());
        const end = headEnd(bytes);
        if (end < 0) return new Response("no HTTP head", { status: 400 });
        const [status, ...lines] = new TextDecoder().decode(bytes.subarray(0, end)).split("\r\n");
        const code = Number(/^HTTP\/\d(?:\.\d)? (\d+)/.exec(status)?.[1]);
        const headers = new Headers();
        for (const line of lines) {
          const i = line.indexOf(":");
          if (i > 0) headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
        }
        const secs = lifetime(headers);
        if (!code || secs <= 0) return new Response(null, { status: 413 });
        if (!entries.has(key) && entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value);
        entries.set(key, {
          status: code,
          headers: [...headers],
          body: bytes.slice(end + 4),
          expires: Date.now() + secs * 1000,
        });
        puts++;
        return new Response(null, { status: 204 });
      }
      case "PURGE":
        return new Response(null, { status: entries.delete(key) ? 200 : 404 });
      case "DELETE": {
        const deleted = entries.size;
        entries.clear();
        hits = misses = puts = 0;
        return Response.json({ deleted });
      }
      case "OPTIONS": {
        const counts = { entries: entries.size, hits, misses, puts };
        hits = misses = puts = 0;
        return Response.json(counts);
      }
      default:
        return new Response(null, { status: 405 });
    }
  },
};
