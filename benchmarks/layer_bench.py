#!/usr/bin/env python3
"""Whole-layer CPU benchmark (issue 13): lightfuse against PyTorch eager on
the same inputs, one and two threads, in one run.

Workloads (f32, weights as {lf.weight} arguments prepared once through
@<fn>_prepare, as a deployed model would; PyTorch's weights are tensors):
- linear [M, 1024] x [1024, 1024]^T for M = 1, 16, 512, 2048 (vs the FMA peak
  for M >= 512, vs the weight bytes streamed for M <= 16);
- the SwiGLU MLP x -> W2 (silu(W1 x) * W3 x), T=2048, D=1024, F=2816;
- a Pre-RMSNorm SwiGLU block x + MLP(RMSNorm(x)) (Llama-style, with gain);
- the TransNormerLLM layer of examples/transnormer_block.mlir at d_model 1024,
  16 heads of 64, SGLU width 2816, N = 2048 (LF_LAYER_NS adds more).

Every output is checked against a float64 numpy reference before timing (the
layer at N = 2048 only: its reference is a token loop). PyTorch runs the
same math (linear attention as the Lightning block algorithm, block 64).
Medians of LF_REPS (default 5) calls, more for short ones (see med). Writes
a markdown table to stdout and, with an argument, to that file. Run through benchmarks/run-layers.sh, which
unsets OPENBLAS_CORETYPE so PyTorch's OpenBLAS uses its AVX-512 kernels.
"""
import os
import subprocess
import sys
import time

import numpy as np
import torch

import lightfuse as lf
from lightfuse.testing import reference as R

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPS = int(os.environ.get("LF_REPS", "5"))
D, H, DH, F = 1024, 16, 64, 2816


def set_blas_threads(n):
    """torch.set_num_threads does not reach OpenBLAS's own pthreads in
    Debian's PyTorch: set them through the loaded library too."""
    import ctypes
    for line in open("/proc/self/maps"):
        path = line.split()[-1]
        if "openblas" in path and path.endswith((".so", ".so.0")):
            try:
                ctypes.CDLL(path).openblas_set_num_threads(n)
                return path
            except (OSError, AttributeError):
                pass
    return None


def med(fn, reps=REPS):
    """Median of `reps` calls after a warm-up call, and of more calls when
    they are short: as many as fill ~0.25 s (at most 200), so one call
    delayed by the VM (a descheduled vCPU costs a 40 us norm a few ms) does
    not decide the median of a short op."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    reps = max(reps, min(200, int(0.25 / max(first, 1e-6))))
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return sorted(ts)[len(ts) // 2]


def fma_peak(threads):
    out = subprocess.run([os.path.join(ROOT, "build", "bin", "lf-bench"), str(threads)],
                         capture_output=True, text=True,
                         env=dict(os.environ, LF_BENCH_OPS="none")).stdout
    for line in out.splitlines():
        p = line.split()
        if p and p[0] == "fma-peak":
            return float(p[5])
    return float("nan")


def copy_bw(nbytes, reps=20):
    a = np.ones(nbytes // 4, np.float32)
    b = np.empty_like(a)
    t = med(lambda: np.copyto(b, a), reps)
    return 2 * nbytes / t / 1e9  # read + write


def t(shape):
    return "tensor<" + "x".join(map(str, shape)) + "xf32>"


# --- workloads: MLIR source, numpy inputs, float64 reference, torch fn -------

def linear_case(rng, m):
    x = rng.standard_normal((m, D)).astype(np.float32)
    w = (rng.standard_normal((D, D)) / np.sqrt(D)).astype(np.float32)
    src = (f"func.func @main(%x: {t([m, D])}, %w: {t([D, D])} {{lf.weight}}) -> {t([m, D])} {{\n"
           f"  %y = lf.linear %x, %w : {t([m, D])}, {t([D, D])} -> {t([m, D])}\n"
           f"  return %y : {t([m, D])}\n}}\n")
    ref = lambda: R.linear(x, w)
    tw = torch.from_numpy(w)
    return src, [x], [w], ref, lambda tx: tx @ tw.T, 2.0 * m * D * D


def norm_case(rng, kind, n, d):
    """lf.rms_norm (gain) or lf.layer_norm (gain, bias) of [n, d]; gain and
    bias are inputs, not weights (nothing to prepare)."""
    x = rng.standard_normal((n, d)).astype(np.float32)
    g = rng.uniform(0.5, 1.5, d).astype(np.float32)
    b = rng.uniform(-0.5, 0.5, d).astype(np.float32)
    tx, tg = t([n, d]), t([d])
    if kind == "rms_norm":
        src = (f"func.func @main(%x: {tx}, %g: {tg}) -> {tx} {{\n"
               f"  %y = lf.rms_norm %x gain(%g : {tg}) : {tx}\n  return %y : {tx}\n}}\n")
        fn = lambda a, gg: a * torch.rsqrt(a.pow(2).mean(-1, keepdim=True) + 1e-6) * gg
        return src, [x, g], [], lambda: R.rms_norm(x, g), fn, 0.0
    src = (f"func.func @main(%x: {tx}, %g: {tg}, %b: {tg}) -> {tx} {{\n"
           f"  %y = lf.layer_norm %x gain(%g : {tg}) bias(%b : {tg}) : {tx}\n  return %y : {tx}\n}}\n")
    fn = lambda a, gg, bb: torch.nn.functional.layer_norm(a, (d,), gg, bb, 1e-5)
    return src, [x, g, b], [], lambda: R.layer_norm(x, g, b), fn, 0.0


def mlp_src(n, pre_norm, gate="silu"):
    x, g = t([n, D]), t([D])
    w13, w2, hf = t([F, D]), t([D, F]), t([n, F])
    args = f"%x: {x}" + (f", %g: {g} {{lf.weight}}" if pre_norm else "")
    body = ""
    inp = "%x"
    if pre_norm:
        body += f"  %h = lf.rms_norm %x gain(%g : {g}) : {x}\n"
        inp = "%h"
    body += (f"  %a = lf.linear {inp}, %w1 : {x}, {w13} -> {hf}\n"
             f"  %b = lf.linear {inp}, %w3 : {x}, {w13} -> {hf}\n"
             f"  %s = lf.glu {gate} %a, %b : {hf}\n"
             f"  %m = lf.linear %s, %w2 : {hf}, {w2} -> {x}\n")
    if pre_norm:
        body += f"  %y = lf.add %x, %m : {x}\n  return %y : {x}\n"
    else:
        body += f"  return %m : {x}\n"
    return (f"func.func @main({args}, %w1: {w13} {{lf.weight}}, %w3: {w13} {{lf.weight}}, "
            f"%w2: {w2} {{lf.weight}}) -> {x} {{\n{body}}}\n")


def mlp_case(rng, n, pre_norm, gate="silu"):
    """SwiGLU (gate silu) or GeGLU (gate gelu, exact erf) MLP, optionally
    a Pre-RMSNorm block with its residual add."""
    x = rng.standard_normal((n, D)).astype(np.float32)
    g = rng.uniform(0.5, 1.5, D).astype(np.float32)
    w1, w3 = [(rng.standard_normal((F, D)) / np.sqrt(D)).astype(np.float32) for _ in range(2)]
    w2 = (rng.standard_normal((D, F)) / np.sqrt(F)).astype(np.float32)
    weights = ([g] if pre_norm else []) + [w1, w3, w2]

    def ref():
        h = R.rms_norm(x, g) if pre_norm else x.astype(np.float64)
        m = R.linear(R.glu(gate, R.linear(h, w1), R.linear(h, w3)), w2)
        return x + m if pre_norm else m
    tg, t1, t3, t2 = (torch.from_numpy(a) for a in (g, w1, w3, w2))

    act = {"silu": torch.nn.functional.silu, "gelu": torch.nn.functional.gelu}[gate]

    def fn(tx):
        h = tx * torch.rsqrt(tx.pow(2).mean(-1, keepdim=True) + 1e-6) * tg if pre_norm else tx
        m = (act(h @ t1.T) * (h @ t3.T)) @ t2.T
        return tx + m if pre_norm else m
    return mlp_src(n, pre_norm, gate), [x], weights, ref, fn, 2.0 * n * 3 * D * F


def tn_src(n):
    """examples/transnormer_block.mlir at d_model D, H heads of DH, SGLU F."""
    src = open(os.path.join(ROOT, "examples", "transnormer_block.mlir")).read()
    for a, b in [("tensor<?x64xf32>", t([n, D])), ("tensor<64x64xf32>", t([D, D])),
                 ("tensor<2xf32>", t([H])), ("tensor<128x64xf32>", t([F, D])),
                 ("tensor<64x128xf32>", t([D, F])), ("tensor<?x128xf32>", t([n, F])),
                 ("tensor<1x?x2x32xf32>", t([1, n, H, DH])), ("tensor<1x2x?x32xf32>", t([1, H, n, DH])),
                 ("output_shape [1, %n, 2, 32]", f"output_shape [1, {n}, {H}, {DH}]"),
                 ("tensor.empty(%n)", "tensor.empty()"),
                 ("  %c0 = arith.constant 0 : index\n", ""),
                 (f"  %n = tensor.dim %x, %c0 : {t([n, D])}\n", "")]:
        src = src.replace(a, b)
    for w in ["%wq", "%wk", "%wv", "%wu", "%wo", "%decay", "%w1", "%w2", "%w3"]:
        src = src.replace(f"{w}: tensor", f"{w}: tensor", 1)
    # Every argument but x is a weight.
    head, rest = src.split("func.func @transnormer_block(", 1)
    sig, body = rest.split(") -> ", 1)
    parts = [p.strip() for p in sig.split(",")]
    sig = ", ".join(p if p.startswith("%x:") else p + " {lf.weight}" for p in parts)
    return head + "func.func @main(" + sig + ") -> " + body


def torch_lightning(q, k, v, s, blk=64):
    """Causal linear attention with per-head decay s [H] as the Lightning
    block algorithm in PyTorch: q, k [B, H, N, Dk], v [B, H, N, Dv]."""
    b, h, n, dk = q.shape
    o = torch.empty_like(v)
    kv = torch.zeros(b, h, dk, v.shape[-1])
    idx = torch.arange(blk, dtype=torch.float32)
    sh = s.view(1, h, 1, 1)
    diff = idx[:, None] - idx[None, :]
    dmask = torch.where(diff >= 0, torch.exp(-sh * diff.clamp(min=0)), torch.zeros(()))
    qd = torch.exp(-sh * (idx + 1).view(1, 1, blk, 1))
    kd = torch.exp(-sh * (blk - 1 - idx).view(1, 1, blk, 1))
    bd = torch.exp(-sh * blk)
    for i in range(0, n, blk):
        qb, kb, vb = q[:, :, i:i + blk], k[:, :, i:i + blk], v[:, :, i:i + blk]
        m = qb.shape[2]
        o[:, :, i:i + m] = ((qb @ kb.transpose(-1, -2)) * dmask[..., :m, :m]) @ vb + (qb * qd[:, :, :m]) @ kv
        kv = bd * kv + (kb * kd[:, :, blk - m:]).transpose(-1, -2) @ vb if m == blk else \
            torch.exp(-sh * m) * kv + (kb * torch.exp(-sh * (m - 1 - idx[:m]).view(1, 1, m, 1))).transpose(-1, -2) @ vb
    return o


def tn_case(rng, n, check):
    x = rng.standard_normal((n, D)).astype(np.float32)
    wq, wk, wv, wu, wo = [(rng.standard_normal((D, D)) / np.sqrt(D)).astype(np.float32) for _ in range(5)]
    decay = np.linspace(0.01, 0.3, H).astype(np.float32)
    w1, w2 = [(rng.standard_normal((F, D)) / np.sqrt(D)).astype(np.float32) for _ in range(2)]
    w3 = (rng.standard_normal((D, F)) / np.sqrt(F)).astype(np.float32)
    weights = [wq, wk, wv, wu, wo, decay, w1, w2, w3]

    def heads(a):
        return a.reshape(1, n, H, DH).transpose(0, 2, 1, 3)

    def ref():
        h = R.rms_norm(x)
        q, k, v, u = (R.linear(h, w) for w in (wq, wk, wv, wu))
        o = R.linear_attention(heads(q), heads(k), heads(v), decay, True, "silu")
        o = o.transpose(0, 2, 1, 3).reshape(n, D)
        x1 = x + R.linear(u * R.rms_norm(o), wo)
        h2 = R.rms_norm(x1)
        return x1 + R.linear(R.linear(h2, w1) * R.linear(h2, w2), w3)
    tw = [torch.from_numpy(a) for a in weights]

    def fn(tx):
        tq, tk, tv, tu, to, td, t1, t2, t3 = tw
        rms = lambda a: a * torch.rsqrt(a.pow(2).mean(-1, keepdim=True) + 1e-6)
        h = rms(tx)
        th = lambda a: a.view(1, n, H, DH).transpose(1, 2)
        silu = torch.nn.functional.silu
        o = torch_lightning(silu(th(h @ tq.T)), silu(th(h @ tk.T)), th(h @ tv.T).contiguous(), td)
        o = o.transpose(1, 2).reshape(n, D)
        x1 = tx + ((h @ tu.T) * rms(o)) @ to.T
        h2 = rms(x1)
        return x1 + ((h2 @ t1.T) * (h2 @ t2.T)) @ t3.T
    flops = 2.0 * n * (5 * D * D + 3 * D * F) + 2.0 * n * H * (2 * 64 * DH + 2 * DH * DH)
    return tn_src(n), [x], weights, ref if check else None, fn, flops


def tn_decode_src():
    """One decode step of the TransNormerLLM layer: token x [1, D] and the
    per-head state [1, H, DH, DH] in, the layer output and new state out."""
    x, st, v3 = t([1, D]), t([1, H, DH, DH]), t([1, H, DH])
    w, wf, wb, hf = t([D, D]), t([F, D]), t([D, F]), t([1, F])
    lin = lambda a, ww, src_t, dst_t: f"lf.linear {a}, {ww} : {src_t}, {dst_t.split('|')[0]} -> {dst_t.split('|')[1]}"
    body = f"""  %h = lf.rms_norm %x : {x}
  %q = lf.linear %h, %wq : {x}, {w} -> {x}
  %k = lf.linear %h, %wk : {x}, {w} -> {x}
  %v = lf.linear %h, %wv : {x}, {w} -> {x}
  %u = lf.linear %h, %wu : {x}, {w} -> {x}
  %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [1, {H}, {DH}] : {x} into {v3}
  %k3 = tensor.expand_shape %k [[0], [1, 2]] output_shape [1, {H}, {DH}] : {x} into {v3}
  %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [1, {H}, {DH}] : {x} into {v3}
  %o3, %ns = lf.linear_attention_step %q3, %k3, %v3, %state decay(%decay : {t([H])}) {{feature_map = #lf.feature_map<silu>}}
      : {v3}, {v3}, {v3}, {st} -> {v3}, {st}
  %o = tensor.collapse_shape %o3 [[0], [1, 2]] : {v3} into {x}
  %on = lf.rms_norm %o : {x}
  %g = lf.mul %u, %on : {x}
  %tt = lf.linear %g, %wo : {x}, {w} -> {x}
  %x1 = lf.add %x, %tt : {x}
  %h2 = lf.rms_norm %x1 : {x}
  %a = lf.linear %h2, %w1 : {x}, {wf} -> {hf}
  %b = lf.linear %h2, %w2 : {x}, {wf} -> {hf}
  %s = lf.glu none %a, %b : {hf}
  %m = lf.linear %s, %w3 : {hf}, {wb} -> {x}
  %x2 = lf.add %x1, %m : {x}
  return %x2, %ns : {x}, {st}
"""
    ws = ", ".join(f"%{n}: {ty} {{lf.weight}}" for n, ty in
                   [("wq", w), ("wk", w), ("wv", w), ("wu", w), ("wo", w), ("decay", t([H])),
                    ("w1", wf), ("w2", wf), ("w3", wb)])
    return f"func.func @main(%x: {x}, %state: {st}, {ws}) -> ({x}, {st}) {{\n{body}}}\n"


def tn_decode_case(rng):
    x = rng.standard_normal((1, D)).astype(np.float32)
    state = (rng.standard_normal((1, H, DH, DH)) * 0.1).astype(np.float32)
    wq, wk, wv, wu, wo = [(rng.standard_normal((D, D)) / np.sqrt(D)).astype(np.float32) for _ in range(5)]
    decay = np.linspace(0.01, 0.3, H).astype(np.float32)
    w1, w2 = [(rng.standard_normal((F, D)) / np.sqrt(D)).astype(np.float32) for _ in range(2)]
    w3 = (rng.standard_normal((D, F)) / np.sqrt(F)).astype(np.float32)
    weights = [wq, wk, wv, wu, wo, decay, w1, w2, w3]

    def ref():
        h = R.rms_norm(x)
        q, k, v, u = (R.linear(h, w).reshape(1, H, DH) for w in (wq, wk, wv, wu))
        o, _ = R.linear_attention_step(q, k, v, state, decay, "silu")
        x1 = x + R.linear(u.reshape(1, D) * R.rms_norm(o.reshape(1, D)), wo)
        h2 = R.rms_norm(x1)
        return x1 + R.linear(R.linear(h2, w1) * R.linear(h2, w2), w3)
    tw = [torch.from_numpy(a) for a in weights]
    lam = torch.exp(-tw[5]).view(1, H, 1, 1)

    def fn(tx, ts):
        tq, tk, tv, tu, to, _, t1, t2, t3 = tw
        rms = lambda a: a * torch.rsqrt(a.pow(2).mean(-1, keepdim=True) + 1e-6)
        silu = torch.nn.functional.silu
        h = rms(tx)
        q, k, v = (a.view(1, H, DH) for a in (silu(h @ tq.T), silu(h @ tk.T), h @ tv.T))
        ns = lam * ts + k.unsqueeze(-1) * v.unsqueeze(-2)
        o = (q.unsqueeze(-2) @ ns).reshape(1, D)
        x1 = tx + ((h @ tu.T) * rms(o)) @ to.T
        h2 = rms(x1)
        return x1 + ((h2 @ t1.T) * (h2 @ t2.T)) @ t3.T
    flops = 2.0 * (5 * D * D + 3 * D * F)
    return tn_decode_src(), [x, state], weights, ref, fn, flops


# --- driver -------------------------------------------------------------------

def lf_prepared(src, threads, weights):
    """The compiled layer as a deployment calls it: weights prepared once
    (@main_prepare), the result written into a buffer reused across calls."""
    m = lf.compile(src, threads=threads)
    names = list(m.functions)
    if "main_prepare" in names:
        prep = m.main_prepare(*weights)
        prep = prep if isinstance(prep, tuple) else (prep,)
        fn, extra = m.main_prepared, list(weights) + list(prep)
    else:
        fn, extra = m.main, list(weights)
    out = [None]

    def call(*xs):
        if out[0] is None:
            out[0] = fn(*xs, *extra)
            return out[0]
        return fn(*xs, *extra, out=out[0])
    return call


def rel_err(out, ref):
    ref = np.asarray(ref, np.float64)
    return float(np.max(np.abs(np.asarray(out, np.float64) - ref)) / max(1e-30, np.max(np.abs(ref))))


def write_table(lines):
    """Prints the Markdown lines and writes them to argv[1] when given."""
    text = "\n".join(lines) + "\n"
    print(text)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as fh:
            fh.write(text)


def main():
    rng = np.random.default_rng(0)
    peaks = {th: fma_peak(th) for th in (1, 2)}
    cases = [(f"linear M={m}", *linear_case(rng, m)) for m in (1, 16, 512, 2048)]
    cases.append(("SwiGLU MLP T=2048", *mlp_case(rng, 2048, False)))
    cases.append(("GeGLU MLP T=2048", *mlp_case(rng, 2048, False, "gelu")))
    cases.append(("Pre-RMSNorm SwiGLU block T=2048", *mlp_case(rng, 2048, True)))
    cases.append(("TransNormerLLM decode step", *tn_decode_case(rng)))
    for n in [int(v) for v in os.environ.get("LF_LAYER_NS", "2048").split(",")]:
        cases.append((f"TransNormerLLM layer N={n}", *tn_case(rng, n, n <= 2048)))
    rows = []
    for name, src, xs, weights, ref, tfn, flops in cases:
        refv = ref() if ref else None
        for threads in (1, 2):
            torch.set_num_threads(threads)
            set_blas_threads(threads)
            f = lf_prepared(src, threads, weights)
            y = f(*xs)
            y = y[0] if isinstance(y, tuple) else y
            txs = [torch.from_numpy(a) for a in xs]
            with torch.no_grad():
                ty = tfn(*txs).numpy()
            errs = ""
            if refv is not None:
                e1, e2 = rel_err(y, refv), rel_err(ty, refv)
                errs = f"{e1:.1e} / {e2:.1e}"
                if e1 > 1e-3 or e2 > 1e-3:
                    print(f"WARNING {name}: error vs float64 lightfuse {e1:.2e} torch {e2:.2e}")
            t_lf = med(lambda: f(*xs))
            with torch.no_grad():
                t_pt = med(lambda: tfn(*txs))
            peak = peaks[threads]
            util = 100 * flops / t_lf / 1e9 / peak
            extra = ""
            if name.startswith("linear M=") and int(name.split("=")[1]) <= 16:
                bw = D * D * 4 / t_lf / 1e9
                extra = f"{bw:.1f} GB/s of weights"
            if "decode" in name:
                bw = (5 * D * D + 3 * D * F) * 4 / t_lf / 1e9
                extra = f"{bw:.1f} GB/s of weights; {1e3 * t_lf:.2f} ms/token"
            rows.append((name, threads, t_lf * 1e3, t_pt * 1e3, t_pt / t_lf, util, errs, extra))
            print(f"{name:34s} {threads}T lf {t_lf*1e3:9.2f} ms torch {t_pt*1e3:9.2f} ms "
                  f"x{t_pt/t_lf:5.2f} {util:5.1f}% of peak {errs} {extra}", flush=True)
    bw = {th: copy_bw(64 << 20) for th in (1,)}
    out = ["| workload | threads | lightfuse (ms) | PyTorch eager (ms) | PyTorch / lightfuse | % of FMA peak | max rel. error vs f64 (lf / torch) | note |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.2f}x | {r[5]:.1f}% | {r[6]} | {r[7]} |")
    out.append("")
    out.append(f"FMA peak measured in this run: {peaks[1]:.1f} GFLOP/s (1 thread), {peaks[2]:.1f} (2 threads); "
               f"numpy copy of 64 MiB: {bw[1]:.1f} GB/s (read + write). PyTorch {torch.__version__}.")
    write_table(out)


if __name__ == "__main__":
    main()
