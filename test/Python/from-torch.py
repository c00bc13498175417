# lightfuse.from_torch on the example decoder (examples/transnormer_decoder.py)
# at a small size: prefill and decode step compiled from their torch.onnx
# exports match eager PyTorch (logits and states, f32, 1e-4 relative), the
# decode step continues the prefill's state exactly, decoding into caller
# buffers (out=) gives the same values without reallocating them, and torch
# tensors are accepted as inputs.
# REQUIRES: torch
# RUN: rm -rf %t && mkdir -p %t && %PYTHON %s %t | FileCheck %s
# CHECK: prefill matches eager: True
# CHECK: decode matches eager: True
# CHECK: handover matches: True
# CHECK: out= buffers reused: True
# CHECK: torch inputs: True
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
import lightfuse  # noqa: E402
from transnormer_decoder import Config, Decoder, DecodeStep, Prefill  # noqa: E402

out = sys.argv[1]
cfg = Config(vocab=300, d_model=64, heads=4, ffn=96, layers=2)
dec = Decoder(cfg).init_(seed=0).eval()
L, H, dh = cfg.layers, cfg.heads, cfg.head_dim
names = [f"state{i}" for i in range(L)]
ex = torch.zeros(1, 8, dtype=torch.long)
pre = lightfuse.from_torch(Prefill(dec), (ex,), path=os.path.join(out, "prefill.onnx"),
                           input_names=["tokens"], output_names=["logits"] + names,
                           dynamic_axes={"tokens": {1: "seq"}})
step = lightfuse.from_torch(DecodeStep(dec), (ex[:, :1], *[torch.zeros(1, H, dh, dh)] * L),
                            path=os.path.join(out, "decode.onnx"),
                            input_names=["token"] + names,
                            output_names=["logits"] + ["new_" + n for n in names])


def close(got, want, tol=1e-4):
    want = [w.numpy() if hasattr(w, "numpy") else w for w in want]
    return all(g.shape == w.shape and np.max(np.abs(g - w)) <= tol * max(1.0, np.max(np.abs(w)))
               for g, w in zip(got, want))


rng = np.random.default_rng(0)
tokens = rng.integers(0, cfg.vocab, (1, 29), dtype=np.int64)
with torch.no_grad():
    ref = Prefill(dec)(torch.from_numpy(tokens))
    ref_all = Prefill(dec)(torch.from_numpy(tokens[:, :-1]))
    ref_step = DecodeStep(dec)(torch.from_numpy(tokens[:, -1:]), *ref_all[1:])
got = pre(tokens)
print("prefill matches eager:", close(got, ref))
part = pre(tokens[:, :-1])
got_step = step(tokens[:, -1:], *part[1:])
print("decode matches eager:", close(got_step, ref_step))
# Prefill of n tokens, then a step, equals the prefill of n + 1 tokens.
print("handover matches:", close(got_step, ref))
logits = np.empty((1, cfg.vocab), np.float32)
bufs = [np.empty((1, H, dh, dh), np.float32) for _ in range(L)]
addrs = [b.ctypes.data for b in [logits] + bufs]
res = step(tokens[:, -1:], *part[1:], out=[logits] + bufs)
same = [b.ctypes.data for b in [logits] + bufs] == addrs and close([logits] + bufs, ref_step)
print("out= buffers reused:", same)
print("torch inputs:", close(pre(torch.from_numpy(tokens)), ref))
