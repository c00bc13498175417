#!/usr/bin/env python3
"""Issue-5 benchmark set: causal linear attention with per-head decay,
B=1, H=8, d=64, f32, N in {2048, 8192, 16384}, one and two threads, in one run:

- lightfuse, Lightning Attention-2 blocks (lf-tile-linear-attention, block 64)
  and the token recurrence (the default CPU lowering);
- PyTorch eager: the same block algorithm (chunked, block 64), the token
  recurrence, and causal softmax attention as the quadratic baseline (torch
  1.13 has no F.scaled_dot_product_attention: softmax(QK^T/sqrt(d) + mask) V,
  computed per head);
- the FMA peak measured in this run (lf-bench), and the decode step's latency
  after 1k, 16k and 64k tokens of prefill.

Two threads: the Lightning blocks run their (batch, head) loop on the
runtime's thread pool inside the generated code (lf-cpu-pipeline{threads=2}); the token
recurrence has no parallel loop of its own, so there the caller runs heads
0-3 and 4-7 on two threads (ctypes releases the GIL). PyTorch uses
torch.set_num_threads(2). lightfuse calls pass out= (no result allocation
per call; the result is still copied from the kernel's buffer into it). Run through benchmarks/run-attention.sh, which
unsets OPENBLAS_CORETYPE (OpenBLAS's AVX-512 kernels for PyTorch).
"""
import os
import subprocess
import sys
import threading
import time

import numpy as np
import torch

import lightfuse as lf
from layer_bench import fma_peak, med, torch_lightning

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B, H, D = 1, 8, 64
NS = [int(n) for n in os.environ.get("LF_ATTN_NS", "2048,8192,16384").split(",")]
S = 0.05  # decay rate of every head (lambda = exp(-0.05))


def lf_module(n, h, block, threads=1):
    t = f"tensor<1x{h}x{n}x{D}xf32>"
    src = (f"func.func @main(%q: {t}, %k: {t}, %v: {t}, %s: tensor<{h}xf32>) -> {t} {{\n"
           f"  %o = lf.linear_attention %q, %k, %v decay(%s : tensor<{h}xf32>) : {t}, {t}, {t} -> {t}\n"
           f"  return %o : {t}\n}}\n")
    return lf.compile(src, pipeline=f"builtin.module(lf-cpu-pipeline{{attention-block={block} threads={threads}}})")


def lf_time(n, block, threads, q, k, v, s):
    if threads == 1 or block:
        m = lf_module(n, H, block, threads)
        out = np.empty_like(v)
        return med(lambda: m.main(q, k, v, s, out=out), 7)
    m = lf_module(n, H // 2, block)
    halves = [(np.ascontiguousarray(x[:, i * H // 2:(i + 1) * H // 2]) for x in (q, k, v)) for i in range(2)]
    halves = [tuple(hv) + (s[:H // 2],) for hv in halves]
    outs = [np.empty_like(hv[2]) for hv in halves]

    def both():
        ts = [threading.Thread(target=m.main, args=a, kwargs={"out": o}) for a, o in zip(halves, outs)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    return med(both, 5)


def torch_chunked(q, k, v, s, blk=64):
    return torch_lightning(q, k, v, s, blk)


def torch_recurrence(q, k, v, s):
    lam = torch.exp(-s).view(1, H, 1, 1)
    st = torch.zeros(B, H, D, D)
    o = torch.empty_like(v)
    for t in range(q.shape[2]):
        st = lam * st + k[:, :, t, :, None] * v[:, :, t, None, :]
        o[:, :, t] = (q[:, :, t, None, :] @ st)[:, :, 0]
    return o


def torch_softmax(q, k, v):
    n = q.shape[2]
    mask = torch.full((n, n), float("-inf")).triu(1)
    out = torch.empty_like(v)
    for h in range(H):  # per head: the [N, N] scores of all heads do not fit
        a = torch.softmax(q[0, h] @ k[0, h].T / D ** 0.5 + mask, dim=-1)
        out[0, h] = a @ v[0, h]
    return out


def main():
    rng = np.random.default_rng(0)
    rows = []
    # Before PyTorch starts its thread pool.
    peaks = {t: fma_peak(t) for t in (1, 2)}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        peak = peaks[threads]
        for n in NS:
            q, k, v = (rng.standard_normal((B, H, n, D)).astype(np.float32) * 0.1 for _ in range(3))
            s = np.full(H, S, np.float32)
            tq, tk, tv, ts = (torch.from_numpy(x) for x in (q, k, v, s))
            flops = 2 * B * H * n * (64 * D + 64 * D + D * D + D * D)  # block-64 algorithm
            t_blk = lf_time(n, 64, threads, q, k, v, s)
            t_rec = lf_time(n, 0, threads, q, k, v, s)
            t_tch = med(lambda: torch_chunked(tq, tk, tv, ts), 7)
            t_trc = med(lambda: torch_recurrence(tq, tk, tv, ts), 1) if n <= 8192 else float("nan")
            t_sm = med(lambda: torch_softmax(tq, tk, tv), 1)
            rows.append((threads, n, t_blk, flops / t_blk / 1e9 / peak * 100, t_tch / t_blk, t_rec, t_tch, t_trc,
                         t_sm, peak))
            print(rows[-1], file=sys.stderr, flush=True)
    print("| threads | N | lf blocks (ms) | % of FMA peak | PyTorch chunked / lf | lf token recurrence (ms) |"
          " PyTorch chunked (ms) | PyTorch recurrence (ms) | PyTorch softmax (ms) | FMA peak (GFLOP/s) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for th, n, tb, pct, ratio, tr, tc, ttr, tsm, pk in rows:
        f = lambda x: "-" if x != x else f"{x * 1e3:.1f}"
        print(f"| {th} | {n} | {tb * 1e3:.1f} | {pct:.1f}% | {ratio:.2f}x | {f(tr)} | {f(tc)} | {f(ttr)} | {f(tsm)} | {pk:.0f} |")
    for th in (1, 2):
        sel = {n: tb for t, n, tb, *_ in rows if t == th}
        if 8192 in sel and 16384 in sel:
            print(f"\nScaling ({th} thread(s)): N=16384 / N=8192 = {sel[16384] / sel[8192]:.2f}x (lf blocks)")

    # NormAttention + output gate (spec.md 4.2) at N = 8192: the chain as
    # written (attention, head-concatenating transpose, SRMSNorm, gate) and
    # folded into lf.norm_attention by lf-fuse-norm-attention (lf-optimize).
    n, c = 8192, H * D
    t4 = f"tensor<1x{H}x{n}x{D}xf32>"
    na_src = (f"func.func @main(%q: {t4}, %k: {t4}, %v: {t4}, %u: tensor<{n}x{c}xf32>, %s: tensor<{H}xf32>) -> tensor<{n}x{c}xf32> {{\n"
              f"  %o = lf.linear_attention %q, %k, %v decay(%s : tensor<{H}xf32>) : {t4}, {t4}, {t4} -> {t4}\n"
              f"  %e = tensor.empty() : tensor<1x{n}x{H}x{D}xf32>\n"
              f"  %t = linalg.transpose ins(%o : {t4}) outs(%e : tensor<1x{n}x{H}x{D}xf32>) permutation = [0, 2, 1, 3]\n"
              f"  %c = tensor.collapse_shape %t [[0, 1], [2, 3]] : tensor<1x{n}x{H}x{D}xf32> into tensor<{n}x{c}xf32>\n"
              f"  %r = lf.rms_norm %c : tensor<{n}x{c}xf32>\n"
              f"  %y = lf.mul %u, %r : tensor<{n}x{c}xf32>\n"
              f"  return %y : tensor<{n}x{c}xf32>\n}}\n")
    q, k, v = (rng.standard_normal((B, H, n, D)).astype(np.float32) * 0.1 for _ in range(3))
    u = rng.standard_normal((n, c)).astype(np.float32)
    s = np.full(H, S, np.float32)
    out = np.empty((n, c), np.float32)
    print(f"\nNormAttention + gate, N={n}, H={H}, d={D} (ms, median of 9):\n")
    print("| threads | unfused chain | lf.norm_attention (fused) | unfused / fused |\n|---|---|---|---|")
    for threads in (1, 2):
        times = []
        for opt in (False, True):
            cpu = f"lf-cpu-pipeline{{optimize=false threads={threads}}}"
            pipe = f"builtin.module(func.func(lf-fuse-norm-attention),{cpu})" if opt else f"builtin.module({cpu})"
            m = lf.compile(na_src, pipeline=pipe)
            times.append(med(lambda: m.main(q, k, v, u, s, out=out), 9))
        print(f"| {threads} | {times[0] * 1e3:.1f} | {times[1] * 1e3:.1f} | {times[0] / times[1]:.2f}x |")

    # Decode step after 1k, 16k, 64k tokens of prefill (one thread).
    torch.set_num_threads(1)
    t = lambda n: f"tensor<1x{H}x{n}x{D}xf32>"
    st = f"tensor<1x{H}x{D}x{D}xf32>"
    tok = f"tensor<1x{H}x{D}xf32>"
    dec = lf.compile(f"func.func @step(%q: {tok}, %k: {tok}, %v: {tok}, %s: {st}, %d: tensor<{H}xf32>) -> ({tok}, {st}) {{\n"
                     f"  %o, %s2 = lf.linear_attention_step %q, %k, %v, %s decay(%d : tensor<{H}xf32>) : {tok}, {tok}, {tok}, {st} -> {tok}, {st}\n"
                     f"  return %o, %s2 : {tok}, {st}\n}}\n")
    print("\n| history (tokens) | decode step (us, median of 200) |\n|---|---|")
    for hist in (1024, 16384, 65536):
        pre = lf.compile(f"func.func @pre(%q: {t(hist)}, %k: {t(hist)}, %v: {t(hist)}, %d: tensor<{H}xf32>) -> ({t(hist)}, {st}) {{\n"
                         f"  %o, %s = lf.linear_attention %q, %k, %v decay(%d : tensor<{H}xf32>) {{return_state}} : {t(hist)}, {t(hist)}, {t(hist)} -> {t(hist)}, {st}\n"
                         f"  return %o, %s : {t(hist)}, {st}\n}}\n")
        x = [rng.standard_normal((1, H, hist, D)).astype(np.float32) * 0.1 for _ in range(3)]
        d = np.full(H, S, np.float32)
        _, state = pre.pre(*x, d)
        one = [rng.standard_normal((1, H, D)).astype(np.float32) * 0.1 for _ in range(3)]
        times = []
        for _ in range(200):
            t0 = time.perf_counter()
            dec.step(*one, state, d)
            times.append(time.perf_counter() - t0)
        print(f"| {hist} | {sorted(times)[100] * 1e6:.0f} |")


if __name__ == "__main__":
    main()
