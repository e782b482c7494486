# Reads `perf script` output (one blank-line-separated call stack per sample, leaf first) for
# perf-profile.sh's CALLGRAPH=1 report.
#   mode=owner: the samples whose leaf is WASM code (TurboFan or Liftoff, Liftoff's frame
#     setup, the calls to and from JS), counted for the nearest `vitrine::`/`vitrine_core::`
#     function on the stack ("(none)" when no vitrine function is on it: the runtime glue);
#   mode=setup: the samples of Liftoff's frame setup builtin, by the frame above it. The
#     builtin builds the frame of the function whose prologue called it, so that function is
#     not on the frame-pointer chain yet: the frame above is its caller.
# Prints the `top` largest, then the total.
# usage: awk -v top=15 -f perf-stacks.awk mode=owner|setup stacks.txt
BEGIN { RS = "" }
function name(frame) {
  sub(/^[ \t]*[0-9a-f]+ /, "", frame); sub(/ \([^)]*\)$/, "", frame); sub(/^JS:/, "", frame)
  sub(/::h[0-9a-f]+(-[0-9]+-(liftoff|turbofan))?(\+0x[0-9a-f]+)?$/, "", frame)
  sub(/\+0x[0-9a-f]+$/, "", frame)
  return substr(frame, 1, 100)
}
{ n = split($0, f, "\n")
  if (mode == "setup") {
    if (f[2] !~ /Builtins_WasmLiftoffFrameSetup/ || n < 3) next
    c[name(f[3])]++; t++; next
  }
  if (f[2] !~ /-(liftoff|turbofan)(\+0x[0-9a-f]+)? |Builtins_Wasm|wasm-to-js|js-to-wasm/) next
  who = "(none)"
  for (i = 2; i <= n; i++) if (f[i] ~ /JS:[<&]*(vitrine|vitrine_core)::/) { who = name(f[i]); break }
  c[who]++; t++ }
END { for (k in c) printf "  %6d %s\n", c[k], k | ("sort -rn | head -n " top)
      close("sort -rn | head -n " top)
      printf "  %6d samples in all\n", t }
