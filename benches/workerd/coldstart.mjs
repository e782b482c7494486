// Cold start: for each variant, start `workerd serve` RUNS times and measure (a) spawn → socket
// accepting (config load: module compile, and for vitrine the .wasm compile + instantiate at
// module evaluation) and (b) the first request's latency, then a warm request's, all on
// loopback. Prints medians. Used by coldstart.sh (which generates the configs).
//
// usage: node coldstart.mjs <workerd> <dir> <cookie> <runs> <variant>=<port> ...
import { spawn } from "node:child_process";
import net from "node:net";

const [workerd, dir, cookie, runs, ...variants] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function accepting(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

async function timedFetch(port) {
  const t = now();
  const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return now() - t;
}

for (const v of variants) {
  const [name, port] = v.split("=");
  const ready = [], first = [], warm = [];
  for (let i = 0; i < Number(runs); i++) {
    const t0 = now();
    const child = spawn(workerd, ["serve", `${name}.capnp`], { cwd: dir, detached: true, stdio: "ignore" });
    let up = false;
    for (let k = 0; k < 4000 && !up; k++) { up = await accepting(Number(port)); if (!up) await sleep(2); }
    if (!up) { process.kill(-child.pid, "SIGKILL"); throw new Error(`${name} did not start`); }
    ready.push(now() - t0);
    first.push(await timedFetch(port));
    warm.push(await timedFetch(port));
    process.kill(-child.pid, "SIGKILL");
    await sleep(100);
  }
  const f = (x) => x.toFixed(1);
  console.log(`COLD ${name} start_to_listen_ms=${f(median(ready))} first_request_ms=${f(median(first))} warm_request_ms=${f(median(warm))} runs=${runs}`);
}
