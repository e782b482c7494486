# Splits `perf report -n --sort sym` lines (samples in field 2) by where the samples fell, for
# perf-profile.sh and perf-zipf.sh: the runtime's HTML rewriter, WASM by V8 tier, Liftoff's
# frame setup and the calls between JS and WASM, JS, V8 itself, the allocator, libc's memory
# copies, the kernel, and the rest of workerd. Prints one line per category, largest first:
# its share of `total` (the CPU the samples stand for, in any unit), then the line
# "<samples> samples" last.
# usage: awk -v total=<CPU the samples stand for> -f perf-categories.awk syms.txt
{ n = $2; line = $0; c = "workerd, KJ, other native"
  if (line ~ /\[k\]/) c = "kernel"
  else if (line ~ /-turbofan *$/) c = "WASM, TurboFan code"
  else if (line ~ /-liftoff *$/) c = "WASM, Liftoff code"
  else if (line ~ /Builtins_Wasm|wasm-to-js|js-to-wasm/) c = "WASM builtins (Liftoff frame setup, calls to and from JS)"
  else if (line ~ /JS:/) c = "JS"
  else if (line ~ /lol_html|selectors_vm|memchr::arch/) c = "HTML rewriter (lol_html)"
  else if (line ~ /Builtins_|v8::|Scavenger|Heap/) c = "V8 (runtime, GC, builtins)"
  else if (line ~ /tcmalloc|TCMalloc/) c = "allocator (tcmalloc)"
  else if (line ~ /memmove|memset|memcpy|memcmp/) c = "libc memory"
  s[c] += n; t += n }
END { if (t == 0) exit 1
      for (k in s) printf "  %7.1f  %s\n", total * s[k] / t, k | "sort -rn"
      close("sort -rn")
      printf "  %d samples\n", t }
