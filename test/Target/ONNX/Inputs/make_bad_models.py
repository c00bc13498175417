"""Writes small ONNX models that lf-import-onnx must reject with a located
diagnostic (errors.test) or import in a specific way."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
f32 = TensorProto.FLOAT


def save(name, nodes, inputs, outputs, inits=(), opset=17, domains=()):
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    m = helper.make_model(g, opset_imports=ops)
    onnx.save(m, os.path.join(out, name + ".onnx"))


vi = helper.make_tensor_value_info
# Two unsupported nodes, both reported.
save("unsupported",
     [helper.make_node("Relu", ["x"], ["a"], name="ok_relu"),
      helper.make_node("TopK", ["a", "k"], ["b", "i"], name="my_topk"),
      helper.make_node("Frobnicate", ["b"], ["y"], name="custom_thing", domain="com.example")],
     [vi("x", f32, [4, 8]), vi("k", TensorProto.INT64, [1])], [vi("y", f32, [4, 8])],
     domains=["com.example"])
# Shapes that do not broadcast.
save("broadcast",
     [helper.make_node("Add", ["x", "z"], ["y"], name="bad_add")],
     [vi("x", f32, [4, 8]), vi("z", f32, [4, 3])], [vi("y", f32, [4, 8])])
# Reshape to a shape only known at run time.
save("dynamic_reshape",
     [helper.make_node("Reshape", ["x", "s"], ["y"], name="runtime_shape")],
     [vi("x", f32, [4, 8]), vi("s", TensorProto.INT64, [2])], [vi("y", f32, [8, 4])])
# An initializer whose external data file is missing.
w = TensorProto()
w.name, w.data_type = "w", f32
w.dims.extend([8, 8])
w.data_location = TensorProto.EXTERNAL
for k, v in [("location", "weights.bin"), ("offset", "0"), ("length", "256")]:
    e = w.external_data.add()
    e.key, e.value = k, v
save("missing_external",
     [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
     [vi("x", f32, [4, 8])], [vi("y", f32, [4, 8])], inits=[w])
# The same model with its external data present (256 bytes).
save("external", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
     [vi("x", f32, [4, 8])], [vi("y", f32, [4, 8])], inits=[w])
os.makedirs(os.path.join(out, "ext"), exist_ok=True)
os.replace(os.path.join(out, "external.onnx"), os.path.join(out, "ext", "external.onnx"))
np.arange(64, dtype=np.float32).tofile(os.path.join(out, "ext", "weights.bin"))
# Not a protobuf at all.
with open(os.path.join(out, "garbage.onnx"), "wb") as fh:
    fh.write(b"\xff\xff\xff\xff this is not an ONNX model")
# Training-mode BatchNormalization.
save("bn_training",
     [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y", "rm", "rv"],
                       name="bn", training_mode=1)],
     [vi("x", f32, [2, 4])], [vi("y", f32, [2, 4])],
     inits=[numpy_helper.from_array(np.ones(4, np.float32), n) for n in "gbmv"])
# Symbolic dims: a named sequence length bound with --dim.
save("symbolic",
     [helper.make_node("Sigmoid", ["x"], ["y"], name="sig")],
     [vi("x", f32, ["batch", "seq", 16])], [vi("y", f32, ["batch", "seq", 16])])
