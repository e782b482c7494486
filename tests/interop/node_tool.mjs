// Node side of the interop test, with two libraries (jose and jsonwebtoken).
// mint LIB KID SECRET_B64URL CLAIMS_JSON -> prints an HS256 token with header kid
// verify LIB SECRET_B64URL TOKEN         -> prints the claims as JSON, exit 1 if rejected
import { createRequire } from "node:module";
const require = createRequire(process.env.INTEROP_NODE_DIR + "/package.json");
const jose = require("jose");
const jsonwebtoken = require("jsonwebtoken");

const [cmd, lib, ...rest] = process.argv.slice(2);
const key = (s) => Buffer.from(s, "base64url");

if (cmd === "mint") {
  const [kid, secret, claims] = rest;
  const payload = JSON.parse(claims);
  if (lib === "jose") {
    const token = await new jose.SignJWT(payload)
      .setProtectedHeader({ alg: "HS256", typ: "JWT", kid })
      .sign(key(secret));
    console.log(token);
  } else {
    console.log(jsonwebtoken.sign(payload, key(secret), { algorithm: "HS256", keyid: kid, noTimestamp: true }));
  }
} else {
  const [secret, token] = rest;
  try {
    const claims = lib === "jose"
      ? (await jose.jwtVerify(token, key(secret), { algorithms: ["HS256"] })).payload
      : jsonwebtoken.verify(token, key(secret), { algorithms: ["HS256"] });
    console.log(JSON.stringify(claims));
  } catch (e) {
    console.error(`rejected: ${e.message}`);
    process.exit(1);
  }
}
