#!/usr/bin/env python3
"""lightfuse against the PyPI peers on the workloads of layer_bench.py:
PyTorch 2.x eager, torch.compile (Inductor, CPU), ONNX Runtime and IREE
(llvm-cpu, --iree-llvmcpu-target-cpu=host, --iree-opt-level=O3), one and two
threads, in one run and one process. Runs in the virtual environment
benchmarks/run-peers.sh creates under build/peers-venv.

Each peer gets the same inputs and the same math; ONNX Runtime and IREE run
the graph PyTorch exports (torch.onnx.export, TorchScript exporter, weights
as initializers, i.e. constants to both). Every output is checked against the
float64 reference before timing (a peer that disagrees is reported, not
timed). Medians of LF_REPS (default 5) calls after a warm-up call, more for
short ones (layer_bench.med).
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layer_bench as L  # noqa: E402  (the workloads and lightfuse's runner)

VENV_BIN = os.path.dirname(sys.executable)
TMP = tempfile.mkdtemp(prefix="lf-peers-")
ONLY = [s for s in os.environ.get("LF_PEERS", "torch,compile,ort,iree,onednn").split(",") if s]
# benchmarks/onednn_peers.cpp, built by run-peers.sh when libdnnl-dev is there.
ONEDNN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "build", "bin", "onednn-peers")


def export_onnx(fn, xs, path):
    class Wrap(torch.nn.Module):
        def forward(self, *a):
            return fn(*a)
    with torch.no_grad():
        torch.onnx.export(Wrap(), tuple(torch.from_numpy(x) for x in xs), path,
                          dynamo=False, opset_version=17)


def ort_runner(path, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    return lambda *xs: sess.run(None, dict(zip(names, xs)))[0]


_IREE_VMFB = {}


def iree_runner(path, threads):
    import iree.runtime as rt
    vmfb = _IREE_VMFB.get(path)
    if vmfb is None:
        mlir = path + ".mlir"
        vmfb = path + ".vmfb"
        subprocess.run([os.path.join(VENV_BIN, "iree-import-onnx"), path, "-o", mlir], check=True,
                       capture_output=True)
        subprocess.run([os.path.join(VENV_BIN, "iree-compile"), mlir,
                        "--iree-hal-target-device=local",
                        "--iree-hal-local-target-device-backends=llvm-cpu",
                        "--iree-llvmcpu-target-cpu=host", "--iree-opt-level=O3",
                        "-o", vmfb], check=True, capture_output=True)
        _IREE_VMFB[path] = vmfb
    rt.flags.parse_flags(f"--task_topology_max_group_count={threads}")
    config = rt.Config("local-task")
    ctx = rt.SystemContext(config=config)
    with open(vmfb, "rb") as f:
        ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance, f.read()))
    mod = ctx.modules.module
    fname = [n for n in dir(mod) if not n.startswith("_")]
    entry = getattr(mod, "main_graph") if hasattr(mod, "main_graph") else getattr(mod, fname[0])
    return lambda *xs: np.asarray(entry(*xs).to_host())


def onednn_spec(name, xs, weights):
    """How oneDNN runs a case, or None: (kind, sizes, named input arrays)
    for the linears, LayerNorm and the GLU MLPs (oneDNN 2.x has no RMSNorm
    and no linear attention)."""
    if name.startswith("linear"):
        (x,), (w,) = xs, weights
        return "linear", [x.shape[0], x.shape[1], w.shape[0]], {"x": x, "w": w}
    if name.startswith("layer_norm"):
        x, g, b = xs
        return "layer_norm", list(x.shape), {"x": x, "g": g, "b": b}
    if name.startswith(("SwiGLU MLP", "GeGLU MLP")):
        (x,), (w1, w3, w2) = xs, weights
        act = "gelu" if name.startswith("GeGLU") else "silu"
        return "mlp", [x.shape[0], x.shape[1], w1.shape[0], act], {
            "x": x, "w1": w1, "w3": w3, "w2": w2}
    return None


def onednn_run(ci, spec, threads):
    """Runs one case through onednn-peers in a process of its own (oneDNN's
    OpenMP threads: OMP_NUM_THREADS); returns its output and median."""
    kind, sizes, arrays = spec
    d = os.path.join(TMP, f"onednn{ci}")
    os.makedirs(d, exist_ok=True)
    for n, a in arrays.items():
        np.ascontiguousarray(a, np.float32).tofile(os.path.join(d, f"c.{n}.bin"))
    with open(os.path.join(d, "cases.txt"), "w") as fh:
        fh.write(" ".join(["c", kind] + [str(v) for v in sizes]) + "\n")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    r = subprocess.run([ONEDNN, d], env=env, capture_output=True, text=True, check=True)
    ms = float(r.stdout.split()[1])
    rows = sizes[0]
    cols = sizes[2] if kind == "linear" else sizes[1]
    y = np.fromfile(os.path.join(d, "c.out.bin"), np.float32).reshape(rows, cols)
    return y, ms / 1e3


def onednn_version():
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libdnnl-dev"],
                              capture_output=True, text=True).stdout or "?"
    except OSError:
        return "?"


def first(y):
    """The first result of a function with several (the decode step's
    output; its new state is checked by the tests)."""
    return y[0] if isinstance(y, (tuple, list)) else y


def plot(rows, path):
    """An SVG bar chart: for each workload and thread count, each peer's
    median over lightfuse's (log scale; right of 1: lightfuse faster)."""
    peers = ["torch eager", "torch.compile", "ONNX Runtime", "IREE", "oneDNN"]
    colors = dict(zip(peers, ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3"]))
    groups = []
    for name, threads, peer, ms, ratio, err, first_s in rows:
        key = f"{name}, {threads}T"
        if not groups or groups[-1][0] != key:
            groups.append((key, {}))
        if peer in colors:
            groups[-1][1][peer] = ratio
    import math
    lo, hi = math.log10(0.25), math.log10(16)
    left, width, bar, gap = 300, 560, 7, 8
    x = lambda r: left + (math.log10(min(max(r, 0.25), 16)) - lo) / (hi - lo) * width
    height = 60 + len(groups) * (len(peers) * bar + gap) + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 40}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="18" font-size="13">Peer time / lightfuse time (log scale; '
           f'right of 1: lightfuse faster)</text>']
    for i, p in enumerate(peers):
        out.append(f'<rect x="{10 + 115 * i}" y="28" width="10" height="10" fill="{colors[p]}"/>'
                   f'<text x="{24 + 115 * i}" y="37">{p}</text>')
    y = 55
    for key, vals in groups:
        out.append(f'<text x="{left - 6}" y="{y + len(peers) * bar / 2 + 4}" text-anchor="end">{key}</text>')
        for p in peers:
            if p in vals:
                out.append(f'<rect x="{x(0.25)}" y="{y}" width="{x(vals[p]) - x(0.25):.1f}" '
                           f'height="{bar - 1}" fill="{colors[p]}"><title>{key} {p}: '
                           f'{vals[p]:.2f}x</title></rect>')
            y += bar
        y += gap
    for r in (0.25, 0.5, 1, 2, 4, 8, 16):
        out.append(f'<line x1="{x(r):.1f}" y1="50" x2="{x(r):.1f}" y2="{y}" stroke="{"black" if r == 1 else "#ccc"}"/>'
                   f'<text x="{x(r):.1f}" y="{y + 14}" text-anchor="middle">{r}x</text>')
    out.append("</svg>")
    with open(path, "w") as fh:
        fh.write("\n".join(out) + "\n")


def main():
    rng = np.random.default_rng(0)
    cases = [(f"linear M={m}", *L.linear_case(rng, m)) for m in (1, 16, 512, 2048)]
    for kind in ("rms_norm", "layer_norm"):
        for n, d in ((512, 768), (4096, 1024), (16384, 4096)):
            cases.append((f"{kind} {n}x{d}", *L.norm_case(rng, kind, n, d)))
    cases.append(("SwiGLU MLP T=2048", *L.mlp_case(rng, 2048, False)))
    cases.append(("GeGLU MLP T=2048", *L.mlp_case(rng, 2048, False, "gelu")))
    cases.append(("Pre-RMSNorm SwiGLU block T=2048", *L.mlp_case(rng, 2048, True)))
    cases.append(("TransNormerLLM decode step", *L.tn_decode_case(rng)))
    for n in [int(v) for v in os.environ.get("LF_LAYER_NS", "2048,8192").split(",")]:
        cases.append((f"TransNormerLLM layer N={n}", *L.tn_case(rng, n, n <= 2048)))
    rows = []
    for ci, (name, src, xs, weights, ref, tfn, flops) in enumerate(cases):
        refv = ref() if ref else None
        onnx_path = os.path.join(TMP, f"case{ci}.onnx")
        if "ort" in ONLY or "iree" in ONLY:
            try:
                export_onnx(tfn, xs, onnx_path)
            except Exception as e:  # noqa: BLE001
                print(f"{name}: ONNX export failed: {e}", flush=True)
                onnx_path = None
        for threads in (1, 2):
            torch.set_num_threads(threads)
            peers = {"lightfuse": L.lf_prepared(src, threads, weights)}
            txs = [torch.from_numpy(x) for x in xs]
            if "torch" in ONLY:
                peers["torch eager"] = lambda *a: tfn(*txs).numpy()
            if "compile" in ONLY:
                torch._dynamo.reset()
                cfn = torch.compile(tfn)
                peers["torch.compile"] = lambda *a, cfn=cfn: cfn(*txs).numpy()
            if onnx_path and "ort" in ONLY:
                try:
                    peers["ONNX Runtime"] = ort_runner(onnx_path, threads)
                except Exception as e:  # noqa: BLE001
                    print(f"{name}: ONNX Runtime failed: {e}", flush=True)
            if onnx_path and "iree" in ONLY:
                try:
                    peers["IREE"] = iree_runner(onnx_path, threads)
                except Exception as e:  # noqa: BLE001
                    msg = getattr(e, "stderr", b"") or str(e)
                    print(f"{name}: IREE failed: {str(msg)[:400]}", flush=True)
            times = {}
            for peer, f in peers.items():
                # The previous runtime's idle workers (ONNX Runtime's and
                # IREE's spin a while after a run) would take a core from
                # the next one measured: let them settle.
                time.sleep(0.3)
                try:
                    t0 = time.perf_counter()
                    with torch.no_grad():
                        y = first(f(*xs))
                    first_s = time.perf_counter() - t0
                    err = L.rel_err(y, refv) if refv is not None else float("nan")
                    if refv is not None and not err <= 1e-3:
                        print(f"{name} {threads}T {peer}: error {err:.2e} vs float64: not timed", flush=True)
                        continue
                    with torch.no_grad():
                        times[peer] = (L.med(lambda: f(*xs)), err, first_s)
                except Exception as e:  # noqa: BLE001
                    print(f"{name} {threads}T {peer}: failed: {e}", flush=True)
            spec = onednn_spec(name, xs, weights)
            if "onednn" in ONLY and spec and os.access(ONEDNN, os.X_OK):
                time.sleep(0.3)
                try:
                    y, t = onednn_run(ci, spec, threads)
                    err = L.rel_err(y, refv) if refv is not None else float("nan")
                    if refv is not None and not err <= 1e-3:
                        print(f"{name} {threads}T oneDNN: error {err:.2e} vs float64: not timed", flush=True)
                    else:
                        times["oneDNN"] = (t, err, float("nan"))
                except Exception as e:  # noqa: BLE001
                    msg = getattr(e, "stderr", "") or str(e)
                    print(f"{name} {threads}T oneDNN: failed: {str(msg)[:400]}", flush=True)
            lf_t = times.get("lightfuse", (float("nan"),))[0]
            for peer, (t, err, first_s) in times.items():
                rows.append((name, threads, peer, t * 1e3, t / lf_t, err, first_s))
                print(f"{name:34s} {threads}T {peer:14s} {t*1e3:9.2f} ms  x{t/lf_t:5.2f} of lightfuse  "
                      f"err {err:.1e}  first call {first_s:.2f}s", flush=True)
    out = ["| workload | threads | runtime | median (ms) | time / lightfuse | max rel. error vs f64 | first call (s) |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.2f} | {r[4]:.2f}x | {r[5]:.1e} | {r[6]:.2f} |")
    import onnxruntime
    import iree.compiler
    out.append("")
    out.append(f"PyTorch {torch.__version__}, ONNX Runtime {onnxruntime.__version__}, "
               f"IREE {getattr(iree.compiler, '__version__', 'pip')} (local-task, llvm-cpu host, O3), "
               f"oneDNN {onednn_version()} (benchmarks/onednn_peers.cpp, its own process; "
               f"no RMSNorm or linear-attention primitive, so those rows have none).")
    L.write_table(out)
    if len(sys.argv) > 2:
        plot(rows, sys.argv[2])


if __name__ == "__main__":
    main()
