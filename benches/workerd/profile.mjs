// CPU profile of one workerd isolate (the "main" service) through the V8 inspector, for SECS
// seconds while a load runs elsewhere; prints the functions with the most self time, in percent
// of samples. For readable WASM frames, build with `VITRINE_KEEP_NAMES=1 sh scripts/build.sh`.
//
// usage: workerd serve --inspector-addr=127.0.0.1:PORT <config>.capnp &   (and a wrk load)
//        node --experimental-websocket benches/workerd/profile.mjs 127.0.0.1:PORT [SECS=5]
// Bounded: exits after SECS + 20 s whatever the inspector does.
setTimeout(() => { console.error("inspector did not answer in time"); process.exit(1); }, (Number(process.argv[3] ?? 5) + 20) * 1000);
const [addr, secs] = [process.argv[2], Number(process.argv[3] ?? 5)];
const targets = await (await fetch(`http://${addr}/json/list`)).json();
const t = targets.find((t) => /main$/.test(t.id ?? "") || /main$/.test(t.title ?? "")) ?? targets[0];
const url = t.webSocketDebuggerUrl.startsWith("ws") ? t.webSocketDebuggerUrl : `ws://${t.webSocketDebuggerUrl}`;
const ws = new WebSocket(url);
await new Promise((ok) => (ws.onopen = ok));
let id = 1; const pending = new Map();
ws.onmessage = (ev) => { const m = JSON.parse(ev.data); if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); } };
const call = (method, params = {}) => new Promise((ok) => { const i = id++; pending.set(i, ok); ws.send(JSON.stringify({ id: i, method, params })); });
await call("Profiler.enable");
await call("Profiler.setSamplingInterval", { interval: 100 });
await call("Profiler.start");
await new Promise((r) => setTimeout(r, secs * 1000));
const res = await call("Profiler.stop");
const p = res.result.profile;
const self = new Map(); const byId = new Map(p.nodes.map((n) => [n.id, n]));
const counts = new Map(); for (const s of p.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
let total = 0;
for (const [nid, c] of counts) { const n = byId.get(nid); const k = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + c); total += c; }
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 45);
for (const [k, c] of top) console.log(((100 * c) / total).toFixed(1).padStart(5), k);
process.exit(0);
