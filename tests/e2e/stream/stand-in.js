// A local stand-in for a Cloudflare Pipelines stream, for tests/e2e/stream.rs.
//
// `wrangler dev` binds a Pipelines stream to a Worker of its own whose `send` discards the
// records (miniflare's `pipeline.worker.js`: a WorkerEntrypoint with `async send(data) {}`), so
// no local test could see what the edge sends. This Worker has the same shape, reached the
// same way (a service binding named EVENTS_STREAM, called over Workers RPC), and the contract of
// `Pipeline` in @cloudflare/workers-types: `send(records: object[]): Promise<void>`. It writes
// what each call received to its log (one line: STAND_IN_PREFIX, then
// `{"call":n,"rejected":bool,"records":[…]}`), which the test reads.
//
// Vars: REJECT_EVERY = "n" makes every n-th call reject (a stream that refuses a send), after
// logging it as rejected; "0" or unset accepts every call.

import { WorkerEntrypoint } from "cloudflare:workers";

const STAND_IN_PREFIX = "vitrine-stream-send ";

let calls = 0;

export default class Stream extends WorkerEntrypoint {
  async send(records) {
    calls += 1;
    if (!Array.isArray(records)) {
      throw new TypeError("send(records): records must be an array of objects");
    }
    for (const r of records) {
      if (r === null || typeof r !== "object" || Array.isArray(r)) {
        throw new TypeError("send(records): every record must be a plain object");
      }
    }
    const every = Number(this.env.REJECT_EVERY ?? "0");
    const rejected = every > 0 && calls % every === 0;
    console.log(STAND_IN_PREFIX + JSON.stringify({ call: calls, rejected, records }));
    if (rejected) {
      throw new Error(`stand-in stream refused call ${calls} (REJECT_EVERY=${every})`);
    }
  }
}
