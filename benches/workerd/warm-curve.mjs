// A cold isolate's CPU per page as it warms up: asks a workerd it has just started for pages it
// has never seen, in id order, and prints the process's CPU per page (all its threads, from
// /proc/<pid>/task/*/schedstat, in ns) over consecutive ranges of requests: the first page
// alone, the second alone, then 3-10, 11-30, 31-100, 101-300 and 301-N. The first page carries
// the isolate's own start (its first decode of the snapshot, the first Liftoff compiles); the
// last range is the steady cost of a first view, with V8's background compiles of the hot code
// that still happen then. Requests after the first two go 4 at a time.
//
// usage: node warm-curve.mjs <port> <workerd pid> [kind=c|p|i|all] [N=1000]
//        (run by warm-curve.sh from a work dir: reads paths.txt and personas.txt there)
import { readFileSync, readdirSync } from "node:fs";

const UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const [port, pid, kind = "c", total = "1000"] = process.argv.slice(2);
const n = Number(total);
const paths = readFileSync("paths.txt", "utf8").trim().split("\n")
  .filter((l) => kind === "all" || l.startsWith(`${kind} `)).map((l) => l.split(" ")[1]);
if (paths.length < n) throw new Error(`fewer than ${n} pages of kind ${kind} in paths.txt`);
const cookies = Object.fromEntries(readFileSync("personas.txt", "utf8").trim().split("\n")
  .map((l) => [l.split(" ")[0], l.slice(l.indexOf(" ") + 1)]));
// CPU time of every thread of the process, ns. A thread that ends takes its whole CPU time out
// of the sum, so a range in which one ends reads low; workerd's threads live as long as it does.
const cpuNs = () => readdirSync(`/proc/${pid}/task`).reduce((sum, t) => {
  try {
    return sum + Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
  } catch {
    return sum;
  }
}, 0);
const deadline = Date.now() + 300_000;
const bounds = [...[1, 2, 10, 30, 100, 300].filter((b) => b < n), n];
let next = 0, from = 0;
const out = [];
for (const to of bounds) {
  const c0 = cpuNs();
  await Promise.all(Array.from({ length: to - from <= 1 ? 1 : 4 }, async () => {
    while (next < to && Date.now() < deadline) {
      const path = paths[next++];
      const headers = { accept: "text/html", "user-agent": UA };
      if (cookies.loyal && cookies.loyal !== "-") headers.cookie = cookies.loyal;
      const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(15_000) });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${path}: status ${r.status}`);
    }
  }));
  if (next < to) throw new Error("warm-curve: out of time");
  out.push(`${from + 1}-${to} ${((cpuNs() - c0) / 1000 / (to - from)).toFixed(0)}`);
  from = to;
}
console.log(`us CPU/page by request range: ${out.join("  ")}`);
