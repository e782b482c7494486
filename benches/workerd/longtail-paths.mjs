// Per-path CPU of one variant on the long-tail workload: PASSES passes over the same N pages
// (one persona, CONC requests at a time) against a workerd already serving it; prints the
// measured process's CPU per page for each pass (utime + stime from /proc) and the bodies
// vitrine says it built (`x-vitrine: …; body=streamed|mapped|spliced`). Pass 1 is every page's
// first view (cold isolate included), pass 2 its second, later passes the steady state.
//
// usage (a work dir kept by `KEEP=1 sh benches/workerd/longtail.sh`, its backend running):
//   sh benches/workerd/longtail-paths.sh <work dir> <variant> [N=1000] [PASSES=4] [persona=loyal]
import { readFileSync } from "node:fs";
const UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const [port, pid, n = 1000, passes = 4, persona = "loyal", conc = 8] = process.argv.slice(2);
const paths = readFileSync("paths.txt", "utf8").trim().split("\n").map((l) => l.split(" ")[1]).slice(0, Number(n));
const cookies = Object.fromEntries(readFileSync("personas.txt", "utf8").trim().split("\n")
  .map((l) => [l.split(" ")[0], l.slice(l.indexOf(" ") + 1)]));
const ticks = () => {
  const s = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(s[11]) + Number(s[12]);
};
const hz = 100; // CLK_TCK on Linux x86_64
const deadline = Date.now() + 600_000;
for (let p = 0; p < Number(passes) && Date.now() < deadline; p++) {
  const kinds = {}; let i = 0, bad = 0; const t0 = ticks(); const w0 = Date.now();
  await Promise.all(Array.from({ length: Number(conc) }, async () => {
    while (i < paths.length && Date.now() < deadline) {
      const path = paths[i++];
      // A browser's User-Agent: node's own is a tool's, served as a bot (crates/core/src/bots.rs).
      const h = { accept: "text/html", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document", "user-agent": UA };
      if (cookies[persona] && cookies[persona] !== "-") h.cookie = cookies[persona];
      const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers: h, signal: AbortSignal.timeout(15_000) });
      await r.arrayBuffer();
      if (r.status !== 200) bad++;
      const k = (/body=([a-z]+)/.exec(r.headers.get("x-vitrine") ?? "") ?? [, "none"])[1];
      kinds[k] = (kinds[k] ?? 0) + 1;
    }
  }));
  const us = ((ticks() - t0) * (1e6 / hz)) / paths.length;
  console.log(`pass ${p + 1}: ${us.toFixed(0)} us CPU/page  ${Date.now() - w0} ms  bodies ${JSON.stringify(kinds)}${bad ? `  NOT 200: ${bad}` : ""}`);
}
