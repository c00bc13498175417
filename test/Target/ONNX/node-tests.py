# ONNX's own backend node tests (Debian's libonnx-testdata) through
# lf-import-onnx and the JIT, compared with the shipped outputs at the
# backend runner's tolerance (rtol 1e-3, atol 1e-7). Every test of an op the
# importer covers either passes or is reported unsupported with the reason
# (a dtype the runtime has no tensors for, a training-mode form, ...); a
# wrong answer or an import that breaks fails this test.
#
# Inputs that ONNX passes as tensors but that must be known when compiling
# (Reshape's shape, Slice's starts, Unsqueeze's axes, ...) are frozen into
# initializers from the test's data, the same value the runner feeds.
#
# REQUIRES: onnx-testdata
# RUN: %PYTHON %s --jobs 2 | FileCheck %s
# CHECK: wrong answers: 0
# CHECK: import or compile errors: 0
import argparse
import glob
import multiprocessing as mp
import os
import sys
import tempfile
from collections import defaultdict

import numpy as np
import onnx
from onnx import numpy_helper

import lightfuse

ROOT = "/usr/share/libonnx-testdata/data/node"

# The ops of the importer issue.
OPS = {"MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Sigmoid", "Softplus", "Relu",
       "Gelu", "Tanh", "Exp", "Reshape", "Transpose", "Unsqueeze", "Squeeze", "Concat",
       "Split", "Slice", "Gather", "ReduceMean", "ReduceSum", "Pow", "Sqrt",
       "Reciprocal", "LayerNormalization", "RMSNormalization", "BatchNormalization",
       "Constant", "Identity", "Cast", "Softmax"}

# (op, input index) that must be constants at compile time.
STATIC_INPUTS = {("Reshape", 1), ("Expand", 1), ("Unsqueeze", 1), ("Squeeze", 1),
                 ("Slice", 1), ("Slice", 2), ("Slice", 3), ("Slice", 4),
                 ("ReduceSum", 1), ("ReduceMean", 1), ("ReduceMax", 1), ("ReduceMin", 1),
                 ("ReduceSumSquare", 1), ("Split", 1), ("ConstantOfShape", 0)}

SUPPORTED_DTYPES = {np.dtype(np.float32), np.dtype(np.float16), np.dtype(np.int64),
                    np.dtype(np.int32)}


def main_op(model):
    ops = [n.op_type for n in model.graph.node]
    return ops[0] if len(ops) == 1 else None


def run_one(d):
    name = os.path.basename(d)
    try:
        model = onnx.load(os.path.join(d, "model.onnx"))
    except Exception as e:  # noqa: BLE001
        return name, None, "skip", f"model does not load: {e}"
    ops = {n.op_type for n in model.graph.node}
    op = name[len("test_"):]
    # The op a test is about: its single node, else (an _expanded function
    # body) the name's op.
    single = main_op(model)
    if single:
        op = single
    else:
        op = next((o for o in OPS if name.startswith("test_" + _snake(o))), None)
    if op not in OPS:
        return name, None, "skip", "not an op of the list"
    sets = sorted(glob.glob(os.path.join(d, "test_data_set_*")))
    if not sets:
        return name, op, "unsupported", "no test data"
    data = sets[0]
    def load(kind):
        files = sorted(glob.glob(os.path.join(data, kind + "_*.pb")),
                       key=lambda p: int(p.rsplit("_", 1)[1][:-3]))
        return [numpy_helper.to_array(onnx.load_tensor(p)) for p in files]
    try:
        ins, outs = load("input"), load("output")
    except Exception:  # noqa: BLE001 - sequences and optionals are not tensors
        return name, op, "unsupported", "test data is not tensors (sequence or optional)"
    graph_inputs = [i.name for i in model.graph.input
                    if i.name not in {t.name for t in model.graph.initializer}]
    if len(ins) != len(graph_inputs):
        # Optional inputs left out of the test data.
        return name, op, "unsupported", "test data does not match the inputs"
    # Freeze compile-time inputs.
    frozen = set()
    for n in model.graph.node:
        for k, inp in enumerate(n.input):
            if (n.op_type, k) in STATIC_INPUTS and inp in graph_inputs:
                frozen.add(inp)
    feed = []
    for nm, arr in zip(graph_inputs, ins):
        if nm in frozen:
            model.graph.initializer.append(numpy_helper.from_array(arr, nm))
            for i, gi in enumerate(model.graph.input):
                if gi.name == nm:
                    del model.graph.input[i]
                    break
        else:
            feed.append(arr)
    for a in feed + outs:
        if a.dtype not in SUPPORTED_DTYPES:
            return name, op, "unsupported", f"{a.dtype} tensors (the runtime has f32, f16, bf16, i64, i32)"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        onnx.save(model, path)
        try:
            m = lightfuse.compile_onnx(path)
        except lightfuse.LightfuseError as e:
            msg = str(e).strip().splitlines()
            text = " | ".join(msg[:3])
            # Only the importer's declared limits count as unsupported; any
            # other failure to import or compile is an error of this test.
            if any(k in str(e) for k in ("is not supported", "no lightfuse importer")):
                return name, op, "unsupported", text
            return name, op, "error", text
    try:
        got = m(*feed)
    except lightfuse.LightfuseError as e:
        return name, op, "error", str(e).strip().splitlines()[0]
    got = got if isinstance(got, tuple) else (got,)
    if len(got) != len(outs):
        return name, op, "wrong", f"{len(got)} results for {len(outs)} outputs"
    for g, w in zip(got, outs):
        if g.shape != w.shape:
            return name, op, "wrong", f"shape {g.shape} vs {w.shape}"
        if w.dtype.kind == "f":
            ok = np.allclose(g, w, rtol=1e-3, atol=1e-7, equal_nan=True)
        else:
            ok = np.array_equal(g, w)
        if not ok:
            err = np.max(np.abs(g.astype(np.float64) - w.astype(np.float64)))
            return name, op, "wrong", f"max abs error {err:.3g}"
    return name, op, "pass", ""


def _snake(op):
    out = ""
    for i, c in enumerate(op):
        if c.isupper() and i and not op[i - 1].isupper():
            out += "_"
        out += c.lower()
    return {"layer_normalization": "layer_normalization", "batch_normalization": "batchnorm",
            "reduce_mean": "reduce_mean", "reduce_sum": "reduce_sum"}.get(out, out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--filter", default="")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    dirs = sorted(d for d in glob.glob(os.path.join(ROOT, "test_*")) if args.filter in d)
    with mp.get_context("fork").Pool(args.jobs) as pool:
        results = pool.map(run_one, dirs, chunksize=1)
    per = defaultdict(lambda: defaultdict(int))
    notes = []
    for name, op, status, why in results:
        if status == "skip":
            continue
        per[op][status] += 1
        if status != "pass":
            notes.append(f"  {status:11s} {name}: {why}")
    print(f"{'op':22s} pass unsupported wrong error")
    tot = defaultdict(int)
    for op in sorted(per):
        c = per[op]
        for k in ("pass", "unsupported", "wrong", "error"):
            tot[k] += c[k]
        print(f"{op:22s} {c['pass']:4d} {c['unsupported']:11d} {c['wrong']:5d} {c['error']:5d}")
    total = sum(tot.values())
    print(f"passed {tot['pass']} of {total} node tests of the listed ops "
          f"({100.0 * tot['pass'] / max(total, 1):.0f}%)")
    print("\n".join(sorted(notes)))
    print(f"wrong answers: {tot['wrong']}")
    print(f"import or compile errors: {tot['error']}")


if __name__ == "__main__":
    main()
