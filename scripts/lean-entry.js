// The Worker's default export, put in place of worker-build's by scripts/esbuild-lean-entry.sh
// (the code around it is worker-build's shim: `Entrypoint`, `initState`, `checkReinitialize`,
// `handleMaybeCritical`).
//
// worker-build exports `new Proxy(Entrypoint, classProxyHooks)`: every request constructs the
// entrypoint through a proxy that wraps the instance in a second proxy, and every property read
// on that one (`fetch`, then `this.env` and `this.ctx` inside it) goes through a trap that wraps
// each method it returns in a third. This subclass keeps what those proxies are for, recovery
// after a Wasm trap, without them: `checkReinitialize` runs before an instance is made and
// before each method, and an error a method throws (or an async method rejects with) goes to
// `handleMaybeCritical`, which marks the Wasm instance for reinitialization when it is a
// `WebAssembly.RuntimeError`. One thing differs: an instance made before a reinitialization
// is not made again. It holds only `env` and `ctx`, and its methods call the module's current
// Wasm exports, so there is nothing in it to renew. The recovery itself is mostly
// wasm-bindgen's (the build's `--force-enable-abort-handler`: every export checks whether the
// instance was terminated and makes a new one); these checks are worker-build's second layer,
// kept as it was.
/*! vitrine-lean-entry */
class LeanEntrypoint extends Entrypoint {
  constructor(ctx, env) {
    checkReinitialize();
    try {
      super(ctx, env);
    } catch (e) {
      initState.criticalError = true;
      throw e;
    }
  }
}
for (const name of Object.getOwnPropertyNames(Entrypoint.prototype)) {
  const method = Entrypoint.prototype[name];
  if (name === "constructor" || typeof method !== "function") continue;
  const wrapped =
    method.constructor === Function
      ? function (...args) {
          checkReinitialize();
          try {
            return method.apply(this, args);
          } catch (e) {
            handleMaybeCritical(e);
            throw e;
          }
        }
      : async function (...args) {
          checkReinitialize();
          try {
            return await method.apply(this, args);
          } catch (e) {
            handleMaybeCritical(e);
            throw e;
          }
        };
  // The method's own name (stack traces say `fetch`) and arity.
  Object.defineProperty(wrapped, "name", { value: name });
  Object.defineProperty(wrapped, "length", { value: method.length });
  LeanEntrypoint.prototype[name] = wrapped;
}
export default LeanEntrypoint;
