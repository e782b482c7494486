#!/usr/bin/env python3
"""What each crate costs in the .wasm: code bytes per crate, plus data and other sections.

Reads a wasm module *with its name section* (cargo's own output, before wasm-bindgen strips
names: target/wasm32-unknown-unknown/release/vitrine.wasm), sums each function body's size by
the crate its (demangled) symbol belongs to, and prints a table. No dependencies, no network.

usage: python3 benches/size/wasm_size.py [module.wasm] [--top N] [--functions N]
"""
import re
import sys
from collections import defaultdict


def leb(buf, i):
    result = shift = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def sections(buf):
    if buf[:4] != b"\0asm":
        sys.exit("not a wasm module")
    i = 8
    while i < len(buf):
        sid = buf[i]
        size, j = leb(buf, i + 1)
        yield sid, buf[j : j + size]
        i = j + size


def name_of(payload):
    n, i = leb(payload, 0)
    return payload[i : i + n].decode("utf-8", "replace"), i + n


def imported_functions(payload):
    count, i = leb(payload, 0)
    funcs = 0
    for _ in range(count):
        for _ in range(2):  # module, field
            n, i = leb(payload, i)
            i += n
        kind = payload[i]
        i += 1
        if kind == 0:  # func: type index
            _, i = leb(payload, i)
            funcs += 1
        elif kind == 1:  # table: reftype + limits
            i += 1
            flags = payload[i]
            _, i = leb(payload, i + 1)
            if flags & 1:
                _, i = leb(payload, i)
        elif kind == 2:  # memory: limits
            flags = payload[i]
            _, i = leb(payload, i + 1)
            if flags & 1:
                _, i = leb(payload, i)
        elif kind == 3:  # global: valtype + mut
            i += 2
        elif kind == 4:  # tag
            i += 1
            _, i = leb(payload, i)
    return funcs


def body_sizes(payload):
    count, i = leb(payload, 0)
    out = []
    for _ in range(count):
        size, j = leb(payload, i)
        out.append(size + (j - i))
        i = j + size
    return out


def function_names(payload):
    names = {}
    i = 0
    while i < len(payload):
        sub = payload[i]
        size, j = leb(payload, i + 1)
        if sub == 1:
            count, k = leb(payload, j)
            for _ in range(count):
                idx, k = leb(payload, k)
                n, k = leb(payload, k)
                names[idx] = payload[k : k + n].decode("utf-8", "replace")
                k += n
        i = j + size
    return names


LEGACY = re.compile(r"^_?_ZN((?:\d+.+?)+)E$")
ESCAPES = {"$LT$": "<", "$GT$": ">", "$u20$": " ", "$RF$": "&", "$C$": ",", "$BP$": "*",
           "$u7b$": "{", "$u7d$": "}", "$u5b$": "[", "$u5d$": "]", "$u27$": "'", "..": "::"}


def demangle(sym):
    m = LEGACY.match(sym)
    if not m:
        return sym
    s, parts, i = m.group(1), [], 0
    while i < len(s) and s[i].isdigit():
        j = i
        while s[j].isdigit():
            j += 1
        n = int(s[i:j])
        parts.append(s[j : j + n])
        i = j + n
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()
    out = "::".join(parts)
    for k, v in ESCAPES.items():
        out = out.replace(k, v)
    return out


def crate_of(name):
    if name.startswith("_ZN") or name.startswith("__ZN"):
        name = demangle(name)
    v0 = re.match(r"_R\w*?C[sx]?[0-9A-Za-z]*_(\d+)", name) if name.startswith("_R") else None
    if v0:
        n, rest = int(v0.group(1)), name[v0.end():]
        return rest[:n]
    name = name.lstrip("<&*_ ").replace("dyn ", "").replace("mut ", "")
    m = re.match(r"([A-Za-z0-9_]+)::", name)
    if m:
        return m.group(1)
    if name.startswith("__wbg") or name.startswith("__wbindgen") or "wasm_bindgen" in name:
        return "wasm_bindgen"
    if re.match(r"(mem|str|dl|__rust|rust_)", name):
        return "std/alloc"
    return "(other: " + name[:40] + ")"


def main():
    args = [a for a in sys.argv[1:]]
    top = int(args[args.index("--top") + 1]) if "--top" in args else 25
    nfun = int(args[args.index("--functions") + 1]) if "--functions" in args else 0
    path = next((a for a in args if a.endswith(".wasm")),
                "target/wasm32-unknown-unknown/release/vitrine.wasm")
    buf = open(path, "rb").read()
    imports, bodies, names, other = 0, [], {}, defaultdict(int)
    for sid, payload in sections(buf):
        if sid == 2:
            imports = imported_functions(payload)
        elif sid == 10:
            bodies = body_sizes(payload)
        elif sid == 0:
            cname, k = name_of(payload)
            if cname == "name":
                names = function_names(payload[k:])
            other["custom:" + cname] += len(payload)
        elif sid == 11:
            other["data"] += len(payload)
        else:
            other["section %d" % sid] += len(payload)
    by_crate = defaultdict(int)
    funcs = []
    for n, size in enumerate(bodies):
        name = names.get(imports + n, "?")
        by_crate[crate_of(name)] += size
        funcs.append((size, demangle(name)))
    code = sum(bodies)
    print(f"{path}: {len(buf):,} bytes; code {code:,} in {len(bodies):,} functions")
    print(f"{'crate':<40} {'code bytes':>12} {'share':>7}")
    for crate, size in sorted(by_crate.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{crate:<40} {size:>12,} {size / code:>7.1%}")
    print(f"{'section':<40} {'bytes':>12}")
    for k, v in sorted(other.items(), key=lambda kv: -kv[1]):
        print(f"{k:<40} {v:>12,}")
    for size, name in sorted(funcs, reverse=True)[:nfun]:
        print(f"{size:>8,} {name[:110]}")


if __name__ == "__main__":
    main()
