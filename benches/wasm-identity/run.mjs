// Loads the raw wasm32 build (no wasm-bindgen glue: the timed functions use none of it; every
// import is a stub that throws if called) and times each exported bench with performance.now().
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const bytes = readFileSync(process.argv[2]);
const module = await WebAssembly.compile(bytes);
const imports = {};
for (const imp of WebAssembly.Module.imports(module)) {
  imports[imp.module] ??= {};
  imports[imp.module][imp.name] = () => { throw new Error(`import ${imp.module}.${imp.name} called`); };
}
const { exports } = await WebAssembly.instantiate(module, imports);
const n = Number(process.env.N ?? 20000);
for (const name of ["bench_verify", "bench_activity", "bench_activity_4k", "bench_identity", "bench_decision", "bench_decision_recs"]) {
  exports[name](Math.max(1, n / 10)); // warm-up (tier-up)
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const check = exports[name](n);
    runs.push(((performance.now() - t0) * 1000) / n);
    if (check === 0xffffffff || (name === "bench_verify" && check !== n)) throw new Error(`${name} failed: ${check}`);
  }
  runs.sort((a, b) => a - b);
  console.log(`${name}: median ${runs[2].toFixed(2)} µs/iter (min ${runs[0].toFixed(2)}, max ${runs[4].toFixed(2)}, n=${n} x 5, node ${process.version})`);
}
