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
timed). Medians of LF_REPS (default 5) calls after a warm-up call.
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
ONLY = [s for s in os.environ.get("LF_PEERS", "torch,compile,ort,iree").split(",") if s]


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


def main():
    rng = np.random.default_rng(0)
    cases = [(f"linear M={m}", *L.linear_case(rng, m)) for m in (1, 16, 2048)]
    cases.append(("SwiGLU MLP T=2048", *L.mlp_case(rng, 2048, False)))
    cases.append(("Pre-RMSNorm SwiGLU block T=2048", *L.mlp_case(rng, 2048, True)))
    cases.append(("TransNormerLLM layer N=2048", *L.tn_case(rng, 2048, True)))
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
                try:
                    t0 = time.perf_counter()
                    with torch.no_grad():
                        y = f(*xs)
                    first = time.perf_counter() - t0
                    err = L.rel_err(y, refv) if refv is not None else float("nan")
                    if refv is not None and not err <= 1e-3:
                        print(f"{name} {threads}T {peer}: error {err:.2e} vs float64: not timed", flush=True)
                        continue
                    with torch.no_grad():
                        times[peer] = (L.med(lambda: f(*xs)), err, first)
                except Exception as e:  # noqa: BLE001
                    print(f"{name} {threads}T {peer}: failed: {e}", flush=True)
            lf_t = times.get("lightfuse", (float("nan"),))[0]
            for peer, (t, err, first) in times.items():
                rows.append((name, threads, peer, t * 1e3, t / lf_t, err, first))
                print(f"{name:34s} {threads}T {peer:14s} {t*1e3:9.2f} ms  x{t/lf_t:5.2f} of lightfuse  "
                      f"err {err:.1e}  first call {first:.2f}s", flush=True)
    out = ["| workload | threads | runtime | median (ms) | time / lightfuse | max rel. error vs f64 | first call (s) |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.2f} | {r[4]:.2f}x | {r[5]:.1e} | {r[6]:.2f} |")
    import onnxruntime
    import iree.compiler
    out.append("")
    out.append(f"PyTorch {torch.__version__}, ONNX Runtime {onnxruntime.__version__}, "
               f"IREE {getattr(iree.compiler, '__version__', 'pip')} (local-task, llvm-cpu host, O3).")
    L.write_table(out)


if __name__ == "__main__":
    main()
