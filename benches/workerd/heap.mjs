// Reads one workerd isolate's own memory through the V8 inspector protocol (CDP), so that the
// runtime's process RSS does not hide it: after a full GC (forced by a heap snapshot, whose
// chunks are discarded: workerd never answers `HeapProfiler.collectGarbage`, whose GC task
// only runs on the next event in the isolate), the live JS heap
// (`Runtime.getHeapUsage`) and the byte length of every `WebAssembly.Memory` in the isolate
// (found with `Runtime.queryObjects` on `WebAssembly.Memory.prototype`; linear memory never
// shrinks, so its size after the requests IS its peak). Nothing is added to the worker: no bench
// route, no binding. A passthrough JS worker has no WebAssembly.Memory and reports 0.
//
// usage: node --experimental-websocket heap.mjs <inspector host:port>
// prints: HEAP used_bytes=<n> total_bytes=<n> backing_bytes=<n> embedder_bytes=<n>
//              wasm_bytes=<n> wasm_memories=<count>
// used_bytes is V8's heap of JS objects; backing_bytes the ArrayBuffer backing stores and
// external strings (Uint8Array bytes live there, not in used_bytes); embedder_bytes the
// runtime's own garbage-collected heap for this isolate.
// (node >= 22 has WebSocket without the flag)
const addr = process.argv[2];
if (!addr) {
  console.error("usage: node --experimental-websocket heap.mjs <host:port>");
  process.exit(2);
}
if (typeof WebSocket === "undefined") {
  console.error("no global WebSocket: run node with --experimental-websocket (node >= 20.10)");
  process.exit(2);
}
const deadline = setTimeout(() => {
  console.error("inspector did not answer within 20 s");
  process.exit(1);
}, 20_000);

const targets = await (await fetch(`http://${addr}/json/list`)).json();
// workerd lists one target per worker service; the bench's worker service is "main".
const target =
  targets.find((t) => /(^|[:/])main$/.test(t.id ?? "") || /(^|[:/])main$/.test(t.title ?? "")) ??
  targets.find((t) => (t.webSocketDebuggerUrl ?? "").endsWith("/main"));
if (!target) {
  console.error(`no "main" target in ${JSON.stringify(targets.map((t) => t.id ?? t.title))}`);
  process.exit(1);
}
const url = target.webSocketDebuggerUrl.startsWith("ws")
  ? target.webSocketDebuggerUrl
  : `ws://${target.webSocketDebuggerUrl}`;
const ws = new WebSocket(url);
await new Promise((ok, fail) => {
  ws.onopen = ok;
  ws.onerror = () => fail(new Error(`cannot connect to ${url}`));
});

let nextId = 1;
let contextId;
const pending = new Map();
ws.onmessage = (ev) => {
  const msg = JSON.parse(ev.data);
  if (msg.method === "Runtime.executionContextCreated") contextId ??= msg.params.context.id;
  const waiter = msg.id && pending.get(msg.id);
  if (!waiter) return;
  pending.delete(msg.id);
  if (msg.error) waiter.fail(new Error(`${waiter.method}: ${JSON.stringify(msg.error)}`));
  else waiter.ok(msg.result);
};
function call(method, params = {}) {
  const id = nextId++;
  ws.send(JSON.stringify({ id, method, params }));
  return new Promise((ok, fail) => pending.set(id, { ok, fail, method }));
}

await call("Runtime.enable"); // announces the worker's context: evaluate needs its id
await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
const usage = await call("Runtime.getHeapUsage");
const proto = await call("Runtime.evaluate", {
  expression: "WebAssembly.Memory.prototype",
  contextId,
});
const found = await call("Runtime.queryObjects", { prototypeObjectId: proto.result.objectId });
const sizes = await call("Runtime.callFunctionOn", {
  objectId: found.objects.objectId,
  functionDeclaration: "function () { return this.map((m) => m.buffer.byteLength); }",
  returnByValue: true,
});
const wasm = sizes.result.value ?? [];
console.log(
  `HEAP used_bytes=${Math.round(usage.usedSize)} total_bytes=${Math.round(usage.totalSize)} ` +
    `backing_bytes=${Math.round(usage.backingStorageSize ?? -1)} ` +
    `embedder_bytes=${Math.round(usage.embedderHeapUsedSize ?? -1)} ` +
    `wasm_bytes=${wasm.reduce((a, b) => a + b, 0)} wasm_memories=${wasm.length}`,
);
clearTimeout(deadline);
ws.close();
process.exit(0);
