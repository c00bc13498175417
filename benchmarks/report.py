"""Merges lf-bench and torch_bench lines into a Markdown table."""

import collections
import sys

rows = collections.OrderedDict()
fusion = collections.OrderedDict()
peak = {}
for line in sys.stdin:
    parts = line.split()
    if len(parts) != 7:
        continue
    op, t, d, th, impl, med, first = parts
    if impl == "fma-peak":
        peak[int(th)] = float(med)
        continue
    if op.startswith("fuse-"):
        fusion.setdefault((op, int(t), int(d)), {})[impl] = float(med)
        continue
    rows.setdefault((op, int(t), int(d), int(th)), {})[impl] = (float(med), float(first))

# Bytes each op must move, in units of one T x D f32 tensor; a copy moves 2.
streams = {"layer_norm": 2, "rms_norm": 2, "add_layer_norm": 4}


def fmt(v):
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


print("| op | T x D | threads | lightfuse ms | copy ms | lf bandwidth / copy | "
      "PyTorch ms | oneDNN ms | lf vs PyTorch | lf vs oneDNN | lf first call ms |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for (op, t, d, th), m in rows.items():
    lf = m.get("lf", (float("nan"), 0))[0]
    copy = m.get("copy", (float("nan"), 0))[0]
    frac = f"{100 * copy * streams[op] / 2 / lf:.0f}%" if op in streams else "-"
    pt = m.get("torch", (None,))[0]
    dn = m.get("onednn", (None,))[0]
    extra = ""
    if op == "swiglu" and th in peak and peak[th]:
        gflops = 2 * 2 * t * d * d / (lf * 1e-3) / 1e9
        extra = f" ({gflops:.0f} GFLOP/s, {100 * gflops / peak[th]:.1f}% of FMA peak)"
    cells = [op, f"{t}x{d}", str(th), fmt(lf) + extra, fmt(copy), frac,
             fmt(pt) if pt else "-", fmt(dn) if dn else "-",
             f"{pt / lf:.2f}x" if pt else "-", f"{dn / lf:.2f}x" if dn else "-",
             f"{m.get('lf', (0, 0))[1]:.0f}"]
    print("| " + " | ".join(cells) + " |")
for th, p in sorted(peak.items()):
    print(f"\nFMA peak measured in this run, {th} thread(s): {p:.0f} GFLOP/s (AVX-512, 12 chains per thread).")

if fusion:
    print("\n| fusion | T x D | variants (ms, one thread) |")
    print("|---|---|---|")
    for (op, t, d), m in fusion.items():
        print(f"| {op[5:]} | {t}x{d} | " + ", ".join(f"{k} {v:.3f}" for k, v in m.items()) + " |")
