"""PyJWT side of the interop test.

mint KID SECRET_B64URL CLAIMS_JSON  -> prints an HS256 token with header kid
verify SECRET_B64URL TOKEN          -> prints the claims as JSON, exit 1 if rejected
"""
import base64
import json
import sys

import jwt


def key(secret):
    return base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))


def main():
    if sys.argv[1] == "mint":
        _, _, kid, secret, claims = sys.argv
        print(jwt.encode(json.loads(claims), key(secret), algorithm="HS256", headers={"kid": kid}))
    else:
        _, _, secret, token = sys.argv
        try:
            claims = jwt.decode(token, key(secret), algorithms=["HS256"])
        except jwt.PyJWTError as e:
            print(f"rejected: {e}", file=sys.stderr)
            sys.exit(1)
        print(json.dumps(claims))


main()
