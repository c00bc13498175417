#!/usr/bin/env python3
"""The GPU device check (issue 6), in two steps.

  prepare  (where lightfuse builds, no GPU needed): compiles every check
           graph twice with lf-compile - for the GPU (--target=nvptx, PTX
           embedded, JIT-compiled by the driver) and for the CPU (the
           reference) - and links one self-contained executable per graph
           into .gpucheck/ (static lightfuse runtimes; needs only libc and,
           at run time, libcuda.so.1).
  run      (on the GPU machine): runs each executable (GPU result against
           the CPU result of the same graph, then the median GPU time), then
           PyTorch eager and torch.compile on the same shapes, and prints a
           Markdown table (also written to $OUT/gpu-check.md when OUT is set).

scripts/gpu-check.sh runs both in order where it can.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, ".gpucheck")
CHIP = os.environ.get("LF_CHIP", "sm_90")

# name: (mlir with @main, input shapes, bytes moved per call (f32), flops)
T, D = 16384, 4096
TA, DA, F = 4096, 1024, 2816
H, N, DH = 16, 8192, 128
CASES = {
    "rms_norm": (f"""func.func @main(%x: tensor<{T}x{D}xf32>, %g: tensor<{D}xf32>) -> tensor<{T}x{D}xf32> {{
  %y = lf.rms_norm %x gain(%g : tensor<{D}xf32>) : tensor<{T}x{D}xf32>
  return %y : tensor<{T}x{D}xf32>
}}""", [(T, D), (D,)], 2 * T * D * 4, 0),
    "layer_norm": (f"""func.func @main(%x: tensor<{T}x{D}xf32>, %g: tensor<{D}xf32>, %b: tensor<{D}xf32>) -> tensor<{T}x{D}xf32> {{
  %y = lf.layer_norm %x gain(%g : tensor<{D}xf32>) bias(%b : tensor<{D}xf32>) : tensor<{T}x{D}xf32>
  return %y : tensor<{T}x{D}xf32>
}}""", [(T, D), (D,), (D,)], 2 * T * D * 4, 0),
    "residual_layer_norm": (f"""func.func @main(%x: tensor<{T}x{D}xf32>, %r: tensor<{T}x{D}xf32>, %g: tensor<{D}xf32>, %b: tensor<{D}xf32>) -> (tensor<{T}x{D}xf32>, tensor<{T}x{D}xf32>) {{
  %s = lf.add %x, %r : tensor<{T}x{D}xf32>
  %y = lf.layer_norm %s gain(%g : tensor<{D}xf32>) bias(%b : tensor<{D}xf32>) : tensor<{T}x{D}xf32>
  return %s, %y : tensor<{T}x{D}xf32>, tensor<{T}x{D}xf32>
}}""", [(T, D), (T, D), (D,), (D,)], 4 * T * D * 4, 0),
    "swiglu": (f"""func.func @main(%x: tensor<{TA}x{DA}xf32>, %w1: tensor<{F}x{DA}xf32>, %w2: tensor<{F}x{DA}xf32>) -> tensor<{TA}x{F}xf32> {{
  %a = lf.linear %x, %w1 : tensor<{TA}x{DA}xf32>, tensor<{F}x{DA}xf32> -> tensor<{TA}x{F}xf32>
  %u = lf.linear %x, %w2 : tensor<{TA}x{DA}xf32>, tensor<{F}x{DA}xf32> -> tensor<{TA}x{F}xf32>
  %y = lf.glu silu %a, %u : tensor<{TA}x{F}xf32>
  return %y : tensor<{TA}x{F}xf32>
}}""", [(TA, DA), (F, DA), (F, DA)], 0, 4 * TA * DA * F),
    "lightning_attention": (f"""func.func @main(%q: tensor<1x{H}x{N}x{DH}xf32>, %k: tensor<1x{H}x{N}x{DH}xf32>, %v: tensor<1x{H}x{N}x{DH}xf32>, %s: tensor<{H}xf32>) -> tensor<1x{H}x{N}x{DH}xf32> {{
  %o = lf.linear_attention %q, %k, %v decay(%s : tensor<{H}xf32>) : tensor<1x{H}x{N}x{DH}xf32>, tensor<1x{H}x{N}x{DH}xf32>, tensor<1x{H}x{N}x{DH}xf32> -> tensor<1x{H}x{N}x{DH}xf32>
  return %o : tensor<1x{H}x{N}x{DH}xf32>
}}""", [(1, H, N, DH)] * 3 + [(H,)], 0, 4 * H * N * DH * DH),
}

CASES["decode_step"] = (f"""func.func @main(%q: tensor<1x{H}x{DH}xf32>, %k: tensor<1x{H}x{DH}xf32>, %v: tensor<1x{H}x{DH}xf32>, %S: tensor<1x{H}x{DH}x{DH}xf32>, %s: tensor<{H}xf32>) -> (tensor<1x{H}x{DH}xf32>, tensor<1x{H}x{DH}x{DH}xf32>) {{
  %o, %S1 = lf.linear_attention_step %q, %k, %v, %S decay(%s : tensor<{H}xf32>) : tensor<1x{H}x{DH}xf32>, tensor<1x{H}x{DH}xf32>, tensor<1x{H}x{DH}xf32>, tensor<1x{H}x{DH}x{DH}xf32> -> tensor<1x{H}x{DH}xf32>, tensor<1x{H}x{DH}x{DH}xf32>
  return %o, %S1 : tensor<1x{H}x{DH}xf32>, tensor<1x{H}x{DH}x{DH}xf32>
}}""", [(1, H, DH)] * 3 + [(1, H, DH, DH), (H,)], 2 * H * DH * DH * 4, 0)

# Correctness-only cases (small, ragged shapes; no timing target): every
# kernel variant the benchmark shapes do not reach - tail blocks and value
# slices of the Lightning kernel, scalar-lane and warp norm kernels, ragged
# GEMM tiles, the fused GLU and norm_linear epilogues, a small decode step.
SMALL = {
    "lightning_tail": ("""func.func @main(%q: tensor<2x3x1000x64xf32>, %k: tensor<2x3x1000x64xf32>, %v: tensor<2x3x1000x48xf32>, %s: tensor<3xf32>) -> tensor<2x3x1000x48xf32> {
  %o = lf.linear_attention %q, %k, %v decay(%s : tensor<3xf32>) {feature_map = #lf.feature_map<silu>} : tensor<2x3x1000x64xf32>, tensor<2x3x1000x64xf32>, tensor<2x3x1000x48xf32> -> tensor<2x3x1000x48xf32>
  return %o : tensor<2x3x1000x48xf32>
}""", [(2, 3, 1000, 64), (2, 3, 1000, 64), (2, 3, 1000, 48), (3,)]),
    "decode_small": ("""func.func @main(%q: tensor<2x3x16xf32>, %k: tensor<2x3x16xf32>, %v: tensor<2x3x48xf32>, %S: tensor<2x3x16x48xf32>, %s: tensor<3xf32>) -> (tensor<2x3x48xf32>, tensor<2x3x16x48xf32>) {
  %o, %S1 = lf.linear_attention_step %q, %k, %v, %S decay(%s : tensor<3xf32>) : tensor<2x3x16xf32>, tensor<2x3x16xf32>, tensor<2x3x48xf32>, tensor<2x3x16x48xf32> -> tensor<2x3x48xf32>, tensor<2x3x16x48xf32>
  return %o, %S1 : tensor<2x3x48xf32>, tensor<2x3x16x48xf32>
}""", [(2, 3, 16), (2, 3, 16), (2, 3, 48), (2, 3, 16, 48), (3,)]),
    "layer_norm_warp": ("""func.func @main(%x: tensor<77x1000xf32>, %g: tensor<1000xf32>, %b: tensor<1000xf32>) -> tensor<77x1000xf32> {
  %y = lf.layer_norm %x gain(%g : tensor<1000xf32>) bias(%b : tensor<1000xf32>) : tensor<77x1000xf32>
  return %y : tensor<77x1000xf32>
}""", [(77, 1000), (1000,), (1000,)]),
    "rms_norm_scalar_lanes": ("""func.func @main(%x: tensor<33x37xf32>) -> tensor<33x37xf32> {
  %y = lf.rms_norm %x : tensor<33x37xf32>
  return %y : tensor<33x37xf32>
}""", [(33, 37)]),
    "linear_gelu_ragged": ("""func.func @main(%x: tensor<333x200xf32>, %w: tensor<170x200xf32>, %b: tensor<170xf32>) -> tensor<333x170xf32> {
  %a = lf.linear %x, %w bias(%b : tensor<170xf32>) : tensor<333x200xf32>, tensor<170x200xf32> -> tensor<333x170xf32>
  %y = lf.activation gelu %a : tensor<333x170xf32>
  return %y : tensor<333x170xf32>
}""", [(333, 200), (170, 200), (170,)]),
    "norm_linear_swiglu": ("""func.func @main(%x: tensor<100x96xf32>, %w1: tensor<130x96xf32>, %w2: tensor<130x96xf32>) -> tensor<100x130xf32> {
  %a = lf.norm_linear layer %x, %w1 {eps = 1.0e-05 : f32} : tensor<100x96xf32>, tensor<130x96xf32> -> tensor<100x130xf32>
  %u = lf.norm_linear layer %x, %w2 {eps = 1.0e-05 : f32} : tensor<100x96xf32>, tensor<130x96xf32> -> tensor<100x130xf32>
  %y = lf.glu silu %a, %u : tensor<100x130xf32>
  return %y : tensor<100x130xf32>
}""", [(100, 96), (130, 96), (130, 96)]),
}
for _name, (_src, _shapes) in SMALL.items():
    CASES[_name] = (_src, _shapes, 0, 0)

# Rank of the first result (compared with the CPU) and number of results.
RESULTS = {"residual_layer_norm": (2, 2), "residual_layer_norm_generic": (2, 2),
           "lightning_attention": (4, 1), "decode_step": (3, 2), "lightning_tail": (4, 1),
           "decode_small": (3, 2)}

# The same norm graphs through the generic lowering (one thread per row,
# lf-compile --row-kernels=false), to show what the row kernels gain.
GENERIC = {"layer_norm_generic", "residual_layer_norm_generic"}
for _name in GENERIC:
    CASES[_name] = CASES[_name[:-len("_generic")]]

DRIVER = r"""
#include "gpu.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
%(cpu_decl)s
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
int main(void) {
  char msg[512];
  if (!lfCudaProbe(msg, sizeof msg)) { printf("%(name)s SKIP %%s\n", msg); return 2; }
  unsigned s = 1;
%(inputs)s
  lf_memref_%(rank)sd *gr, *cr;
  gpu_results gres; cpu_results cres;
  _mlir_ciface_main(&gres%(dargs)s);
  lfCudaSynchronize();
  const char *e = lfCudaTakeError();
  if (e) { printf("%(name)s FAIL %%s\n", e); return 1; }
  _mlir_ciface_main_cpu(&cres%(dargs)s);
  gr = &gres.r0; cr = &cres.r0;
  long long n = 1; for (int k = 0; k < %(rank)s; ++k) n *= gr->sizes[k];
  double worst = 0, scale = 1e-30;
  for (long long i = 0; i < n; ++i) { double c = ((float *)cr->aligned)[i]; if (fabs(c) > scale) scale = fabs(c); }
  for (long long i = 0; i < n; ++i) { double d = fabs(((float *)gr->aligned)[i] - ((float *)cr->aligned)[i]) / scale; if (d > worst) worst = d; }
%(release)s
  double ts[%(reps)d];
  for (int r = 0; r < %(reps)d; ++r) {
    double t0 = now();
    _mlir_ciface_main(&gres%(dargs)s);
    lfCudaSynchronize();
    ts[r] = now() - t0;
%(release)s
  }
  qsort(ts, %(reps)d, sizeof(double), cmp);
  printf("%(name)s %%s maxrel=%%.2e median_ms=%%.4f\n", worst < %(tol)g ? "PASS" : "FAIL", worst, ts[%(reps)d / 2] * 1e3);
  return worst < %(tol)g ? 0 : 1;
}
"""


def prepare():
    bld = os.path.join(ROOT, "build")
    lfc = os.path.join(bld, "bin", "lf-compile")
    lib = os.path.join(bld, "lib")
    os.makedirs(DIR, exist_ok=True)
    for name, (src, shapes, _, _) in CASES.items():
        d = os.path.join(DIR, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "k.mlir"), "w") as f:
            f.write(src + "\n")
        with open(os.path.join(d, "k_cpu.mlir"), "w") as f:
            f.write(src.replace("@main", "@main_cpu") + "\n")
        run = lambda *a: subprocess.run(a, check=True)
        run(lfc, os.path.join(d, "k.mlir"), "--target=nvptx", f"--chip={CHIP}", "-o",
            os.path.join(d, "gpu.o"), "--header", os.path.join(d, "gpu.h"),
            *(["--row-kernels=false"] if name in GENERIC else []))
        run(lfc, os.path.join(d, "k_cpu.mlir"), "-o", os.path.join(d, "cpu.o"), "--header",
            os.path.join(d, "cpu_full.h"), "--prefix", "cpu_")
        # The CPU header repeats the descriptor types: keep its declarations only.
        cpu_h = open(os.path.join(d, "cpu_full.h")).read()
        decl = cpu_h[cpu_h.index("typedef struct {\n  lf_memref"):]
        decl = decl[:decl.index("/* Plain form")].replace("cpu_main_cpu_results", "cpu_results")
        gpu_h = open(os.path.join(d, "gpu.h")).read().replace("lf_main_results", "gpu_results")
        open(os.path.join(d, "gpu.h"), "w").write(gpu_h)
        inputs = []
        for i, shp in enumerate(shapes):
            n = 1
            for x in shp:
                n *= x
            # Decay rates in [0.02, 1), everything else in [-1, 1).
            decay = (name, i) in (("lightning_attention", 3), ("decode_step", 4),
                                  ("lightning_tail", 3), ("decode_small", 4))
            lo = "0.02f" if decay else "-1.0f"
            inputs.append(f"  float *p{i} = lfCudaAllocShared({n}ull * 4);\n"
                          f"  for (long long j = 0; j < {n}; ++j) {{ s = s * 1103515245u + 12345u; "
                          f"p{i}[j] = {lo} + (float)(s >> 8) / 16777216.0f * (1.0f - ({lo})) * "
                          f"{'0.05f' if name == 'lightning_attention' and i < 3 else '1.0f'}; }}\n"
                          f"  lf_memref_{len(shp)}d d{i} = {{p{i}, p{i}, 0, {{{', '.join(map(str, shp))}}}, {{"
                          + ", ".join(str(_stride(shp, k)) for k in range(len(shp))) + "}};")
        rank, nres = RESULTS.get(name, (2, 1))
        release = "\n".join(f"    lf_release(gres.r{i}.allocated);" for i in range(nres))
        c = DRIVER % {"name": name, "cpu_decl": decl, "inputs": "\n".join(inputs), "rank": rank,
                      "dargs": "".join(f", &d{i}" for i in range(len(shapes))), "release": release, "reps": 3 if name in SMALL else 5 if name in ("lightning_attention", "swiglu") else 21,
                      "tol": 1e-3}
        open(os.path.join(d, "check.c"), "w").write(c)
        run("clang-22", "-O2", "-std=gnu11", "-I", d, os.path.join(d, "check.c"), os.path.join(d, "gpu.o"),
            os.path.join(d, "cpu.o"), os.path.join(lib, "libLightfuseCudaRuntime.a"),
            os.path.join(lib, "libLightfuseRuntime.a"), "-ldl", "-lm", "-lpthread", "-o", os.path.join(d, "check"))
        print(f"prepared {name}")


def _stride(shape, k):
    s = 1
    for x in shape[k + 1:]:
        s *= x
    return s


def torch_times():
    """PyTorch eager and torch.compile medians (ms) for the same graphs."""
    try:
        import torch
        import torch.nn.functional as Fn
        if not torch.cuda.is_available():
            return {}
    except Exception:
        return {}
    dev = "cuda"
    x = torch.randn(T, D, device=dev)
    r = torch.randn(T, D, device=dev)
    g, b = torch.randn(D, device=dev), torch.randn(D, device=dev)
    xa = torch.randn(TA, DA, device=dev)
    w1, w2 = torch.randn(F, DA, device=dev), torch.randn(F, DA, device=dev)
    q, k, v = (torch.randn(1, H, N, DH, device=dev) * 0.05 for _ in range(3))
    s = torch.full((H,), 0.02, device=dev)

    def rms(x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * g

    def res_ln(x, r, g, b):
        y = x + r
        return y, Fn.layer_norm(y, (D,), g, b)

    def swiglu(x, w1, w2):
        return Fn.silu(x @ w1.T) * (x @ w2.T)

    def chunk_step(qb, kb, vb, kv, dec, qd, kd, bd):
        ob = ((qb @ kb.transpose(-1, -2)) * dec) @ vb + (qb * qd) @ kv
        return ob, bd * kv + (kb * kd).transpose(-1, -2) @ vb

    def make_chunked(step):
        def chunked(q, k, v, s, blk=64):
            # Lightning Attention-2 block recurrence (the same algorithm),
            # block 64: a Python loop over blocks around `step`.
            n = q.shape[2]
            o = torch.empty_like(v)
            kv = torch.zeros(1, H, DH, DH, device=dev)
            idx = torch.arange(blk, device=dev)
            sh = s.view(1, H, 1, 1)
            dec = torch.exp(-sh * (idx[:, None] - idx[None, :]).clamp(min=0)) * (idx[:, None] >= idx[None, :])
            qd = torch.exp(-sh * (idx + 1)).view(1, H, blk, 1)
            kd = torch.exp(-sh * (blk - 1 - idx)).view(1, H, blk, 1)
            bd = torch.exp(-sh * blk)
            for i in range(0, n, blk):
                o[:, :, i:i + blk], kv = step(q[:, :, i:i + blk], k[:, :, i:i + blk],
                                              v[:, :, i:i + blk], kv, dec, qd, kd, bd)
            return o
        return chunked

    chunked = make_chunked(chunk_step)

    def med(fn, *a, reps=21):
        for _ in range(3):
            fn(*a)
        torch.cuda.synchronize()
        ts = []
        for _ in range(reps):
            e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            e0.record()
            fn(*a)
            e1.record()
            torch.cuda.synchronize()
            ts.append(e0.elapsed_time(e1))
        return sorted(ts)[len(ts) // 2]

    out = {}
    def decode(q, k, v, S, s):
        S1 = torch.exp(-s).view(1, H, 1, 1) * S + k.unsqueeze(-1) * v.unsqueeze(-2)
        return (q.unsqueeze(-2) @ S1).squeeze(-2), S1

    qd1, kd1, vd1 = (torch.randn(1, H, DH, device=dev) for _ in range(3))
    S0 = torch.randn(1, H, DH, DH, device=dev)
    ln = lambda x, g, b: Fn.layer_norm(x, (D,), g, b)  # noqa: E731
    fns = {"rms_norm": (rms, (x, g)), "layer_norm": (ln, (x, g, b)),
           "residual_layer_norm": (res_ln, (x, r, g, b)), "swiglu": (swiglu, (xa, w1, w2)),
           "lightning_attention": (chunked, (q, k, v, s)), "decode_step": (decode, (qd1, kd1, vd1, S0, s))}
    for name, (fn, a) in fns.items():
        eager = med(fn, *a, reps=5 if name == "lightning_attention" else 21)
        try:
            # The chunked loop: torch.compile of the per-block step (compiling
            # the whole loop would unroll 128 blocks).
            cfn = make_chunked(torch.compile(chunk_step)) if name == "lightning_attention" else torch.compile(fn)
            comp = med(cfn, *a, reps=5 if name == "lightning_attention" else 21)
        except Exception as e:  # noqa: BLE001 - report, do not fail the check
            comp = float("nan")
            print(f"torch.compile failed for {name}: {e}", file=sys.stderr)
        out[name] = (eager, comp)
    for name in GENERIC:  # the same PyTorch graphs: measured once
        out[name] = out[name[:-len("_generic")]]
    copy = med(lambda t: t.clone(), x)
    out["copy"] = (copy, copy)
    return out


def run():
    lines = []
    results = {}
    ok = True
    skipped = False
    for name in CASES:
        exe = os.path.join(DIR, name, "check")
        # 60 s per case: a kernel that hangs (never run on a GPU before) must
        # not take the whole 8-minute budget.
        try:
            p = subprocess.run([exe], capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            print(f"{name} FAIL timed out after 60 s")
            ok = False
            continue
        print(p.stdout.strip() or p.stderr.strip())
        skipped |= p.returncode == 2
        parts = p.stdout.split()
        if len(parts) >= 4 and parts[1] in ("PASS", "FAIL"):
            results[name] = (parts[1], parts[2].split("=")[1], float(parts[3].split("=")[1]))
            ok &= parts[1] == "PASS"
        else:
            ok = False
    tt = torch_times()
    copy_ms = tt.get("copy", (float("nan"),))[0]
    lines.append(f"| op | check vs CPU | lightfuse ms | GB/s or TFLOP/s | % of copy BW | torch eager ms | torch.compile ms |")
    lines.append("|---|---|---|---|---|---|---|")
    for name, (_, _, nbytes, flops) in CASES.items():
        st, err, ms = results.get(name, ("-", "-", float("nan")))
        rate = (f"{nbytes / ms / 1e6:.0f} GB/s" if nbytes else
                f"{flops / ms / 1e9:.1f} TFLOP/s" if flops else "-")
        pct = f"{100 * (nbytes / ms) / (2 * T * D * 4 / copy_ms):.0f}%" if nbytes and copy_ms == copy_ms else "-"
        e, c = tt.get(name, (float("nan"), float("nan")))
        lines.append(f"| {name} | {st} ({err}) | {ms:.3f} | {rate} | {pct} | {e:.3f} | {c:.3f} |")
    lines.append(f"\ncopy (torch clone of {T}x{D} f32): {copy_ms:.3f} ms = "
                 f"{2 * T * D * 4 / copy_ms / 1e6:.0f} GB/s counting read + write.")
    table = "\n".join(lines)
    print(table)
    if os.environ.get("OUT"):
        with open(os.path.join(os.environ["OUT"], "gpu-check.md"), "w") as f:
            f.write(table + "\n")
    if skipped:
        print("gpu-check: no usable CUDA device; nothing ran on a GPU", file=sys.stderr)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    step = sys.argv[1] if len(sys.argv) > 1 else "run"
    sys.exit(prepare() if step == "prepare" else run())
