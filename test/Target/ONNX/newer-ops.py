# Nodes newer than Debian's ONNX 1.12 test data, or from ONNX Runtime's
# com.microsoft domain, checked against numpy formulas: Gelu (opset 20, both
# approximations), RMSNormalization (opset 23), SimplifiedLayerNormalization,
# SkipLayerNormalization and SkipSimplifiedLayerNormalization (with their
# input+skip sum output), FastGelu.
# RUN: %PYTHON %s %t | FileCheck %s
# CHECK: Gelu none: ok
# CHECK: Gelu tanh: ok
# CHECK: RMSNormalization: ok
# CHECK: SimplifiedLayerNormalization: ok
# CHECK: SkipLayerNormalization: ok
# CHECK: SkipSimplifiedLayerNormalization: ok
# CHECK: FastGelu: ok
# CHECK: Cast to bool and back, dynamic rows: ok
# CHECK: Neg of int64, dynamic rows: ok
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import lightfuse

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(3)
x = rng.standard_normal((3, 5, 32)).astype(np.float32)
skip = rng.standard_normal((3, 5, 32)).astype(np.float32)
g = rng.uniform(0.5, 1.5, 32).astype(np.float32)
beta = rng.standard_normal(32).astype(np.float32)
bias = rng.standard_normal(32).astype(np.float32)
erf = np.vectorize(math.erf)


def model(name, node, inputs, outputs, inits, opset, domain=None):
    vi = lambda n, shape: helper.make_tensor_value_info(n, TensorProto.FLOAT, shape)
    graph = helper.make_graph([node], name, [vi(n, a.shape) for n, a in inputs],
                              [vi(n, None) for n in outputs],
                              [numpy_helper.from_array(a, n) for n, a in inits])
    ops = [helper.make_opsetid("", opset)]
    if domain:
        ops.append(helper.make_opsetid(domain, 1))
    path = os.path.join(out, name + ".onnx")
    onnx.save(helper.make_model(graph, opset_imports=ops), path)
    return lightfuse.compile_onnx(path)


def check(label, got, want):
    got = got if isinstance(got, tuple) else (got,)
    err = max(float(np.max(np.abs(a - b))) / max(1.0, float(np.max(np.abs(b))))
              for a, b in zip(got, want))
    print(f"{label}: {'ok' if err < 1e-5 else f'MISMATCH {err:.3g}'}")


def rms(v, eps):
    return v / np.sqrt(np.mean(v.astype(np.float64) ** 2, -1, keepdims=True) + eps)


def ln(v, eps):
    v = v.astype(np.float64)
    mu = v.mean(-1, keepdims=True)
    return (v - mu) / np.sqrt(((v - mu) ** 2).mean(-1, keepdims=True) + eps)


for approx in ("none", "tanh"):
    m = model("gelu_" + approx, helper.make_node("Gelu", ["x"], ["y"], approximate=approx),
              [("x", x)], ["y"], [], 20)
    want = (0.5 * x * (1 + erf(x / math.sqrt(2))) if approx == "none" else
            0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))))
    check(f"Gelu {approx}", m(x), [want])
m = model("rmsn", helper.make_node("RMSNormalization", ["x", "g"], ["y"], epsilon=1e-5),
          [("x", x)], ["y"], [("g", g)], 23)
check("RMSNormalization", m(x), [rms(x, 1e-5) * g])
m = model("sln", helper.make_node("SimplifiedLayerNormalization", ["x", "g"], ["y"], epsilon=1e-6),
          [("x", x)], ["y"], [("g", g)], 17)
check("SimplifiedLayerNormalization", m(x), [rms(x, 1e-6) * g])
m = model("skipln", helper.make_node("SkipLayerNormalization", ["x", "s", "g", "b", "bias"],
                                     ["y", "", "", "sum"], domain="com.microsoft", epsilon=1e-5),
          [("x", x), ("s", skip)], ["y", "sum"], [("g", g), ("b", beta), ("bias", bias)], 17,
          "com.microsoft")
total = x + skip + bias
check("SkipLayerNormalization", m(x, skip), [ln(total, 1e-5) * g + beta, total])
m = model("skipsln", helper.make_node("SkipSimplifiedLayerNormalization", ["x", "s", "g"],
                                      ["y", "", "", "sum"], domain="com.microsoft", epsilon=1e-6),
          [("x", x), ("s", skip)], ["y", "sum"], [("g", g)], 17, "com.microsoft")
check("SkipSimplifiedLayerNormalization", m(x, skip), [rms(x + skip, 1e-6) * g, x + skip])
m = model("fastgelu", helper.make_node("FastGelu", ["x", "bias"], ["y"], domain="com.microsoft"),
          [("x", x)], ["y"], [("bias", bias)], 17, "com.microsoft")
xb = x + bias
check("FastGelu", m(x),
      [0.5 * xb * (1 + np.tanh(math.sqrt(2 / math.pi) * (xb + 0.044715 * xb ** 3)))])

# Constants in the shape of a dynamic-shaped tensor (a dense constant cannot
# have '?' dimensions): Cast float -> bool compares with zero, integer Neg
# subtracts from zero.
xd = np.array([[0, 1.5, -2, 0]] * 3, np.float32)
vi = lambda n, t: helper.make_tensor_value_info(n, t, ["n", 4])
g = helper.make_graph([helper.make_node("Cast", ["x"], ["b"], to=TensorProto.BOOL),
                       helper.make_node("Cast", ["b"], ["y"], to=TensorProto.FLOAT)],
                      "castdyn", [vi("x", TensorProto.FLOAT)], [vi("y", TensorProto.FLOAT)])
path = os.path.join(out, "castdyn.onnx")
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
check("Cast to bool and back, dynamic rows", lightfuse.compile_onnx(path)(xd),
      [(xd != 0).astype(np.float32)])
xi = np.array([[3, -4, 0, 7]] * 2, np.int64)
g = helper.make_graph([helper.make_node("Neg", ["x"], ["y"])], "negdyn",
                      [vi("x", TensorProto.INT64)], [vi("y", TensorProto.INT64)])
path = os.path.join(out, "negdyn.onnx")
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
got = lightfuse.compile_onnx(path)(xi)
print("Neg of int64, dynamic rows:", "ok" if np.array_equal(got, -xi) else f"MISMATCH {got}")
