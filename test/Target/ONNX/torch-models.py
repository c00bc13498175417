# Models exported from PyTorch (torch.onnx.export, opset 14 and 17), imported
# by lf-import-onnx, compiled and run: each matches the module's eager
# forward and, where the file holds only standard ops, ONNX Runtime on the
# same file, within 1e-5 of the output's scale (f32). The lf ops the imports
# optimize to are checked in the RUN lines below.
#
# REQUIRES: torch
# RUN: rm -rf %t && mkdir -p %t && %PYTHON %s %t | FileCheck %s
# CHECK: preln14: torch ok
# CHECK: preln17: torch ok
# CHECK: llama: torch ok
# CHECK: llama with dense_resource weights: same results True
# CHECK: bn_mlp: torch ok
# CHECK: transnormer: torch ok
# CHECK: transnormer_step: torch ok
# CHECK: all models match
#
# A Pre-LN block exported with a decomposed LayerNorm (opset 14) becomes the
# lf.layer_norm a hand-written graph has, folded into the first linear:
# RUN: lf-import-onnx %t/preln14.onnx --recompose | FileCheck %s --check-prefix=PRELN
# PRELN: lf.layer_norm %arg0 gain(%{{.*}}) bias(%{{.*}}) : tensor<2x?x64xf32>
# PRELN: lf.linear {{.*}} bias(
# PRELN: lf.activation relu
# PRELN: lf.add %arg0
# RUN: lf-import-onnx %t/preln14.onnx --optimize | FileCheck %s --check-prefix=PRELN-OPT
# PRELN-OPT-LABEL: func.func @torch_jit_prepared(
# PRELN-OPT: lf.layer_norm %arg0 : tensor<2x?x64xf32>
# RUN: lf-import-onnx %t/llama.onnx --recompose | FileCheck %s --check-prefix=LLAMA
# LLAMA: lf.rms_norm %arg0 gain(%arg1 : tensor<64xf32>) : tensor<2x?x64xf32>
# LLAMA: lf.glu silu
# LLAMA-NOT: lf.activation
# LLAMA: lf.add %arg0
# RUN: lf-import-onnx %t/bn_mlp.onnx --recompose | FileCheck %s --check-prefix=BN
# BN: lf.linear
# BN: lf.batch_norm {{.*}} {axis = 1 : i64}
# BN: lf.activation relu
# RUN: lf-import-onnx %t/bn_mlp.onnx --optimize | FileCheck %s --check-prefix=BN-OPT
# BN-OPT-NOT: lf.batch_norm
# RUN: lf-import-onnx %t/transnormer.onnx --recompose | FileCheck %s --check-prefix=TN
# TN: lf.rms_norm %arg0 : tensor<1x?x64xf32>
# TN: lf.linear_attention {{.*}} decay({{.*}} : tensor<4xf32>) {feature_map = #lf.feature_map<silu>, return_state}
# TN: lf.glu none
# RUN: lf-import-onnx %t/transnormer_step.onnx --recompose | FileCheck %s --check-prefix=STEP
# STEP: lf.linear_attention_step {{.*}} decay({{.*}} : tensor<4xf32>) {feature_map = #lf.feature_map<silu>}
import os
import sys

import numpy as np
import torch
import torch.nn as nn

import lightfuse
import lightfuse.nn as lfnn

try:
    import onnxruntime as ort
except ImportError:
    ort = None

out_dir = sys.argv[1]
torch.manual_seed(0)


class RMS(nn.Module):  # Llama's RMSNorm, as HF writes it
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(d) + 0.5)
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class Llama(nn.Module):
    def __init__(self, d=64, f=160):
        super().__init__()
        self.norm = RMS(d)
        self.gate = nn.Linear(d, f, bias=False)
        self.up = nn.Linear(d, f, bias=False)
        self.down = nn.Linear(f, d, bias=False)

    def forward(self, x):
        h = self.norm(x)
        return x + self.down(nn.functional.silu(self.gate(h)) * self.up(h))


class PreLN(nn.Module):
    def __init__(self, d=64, f=128):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        with torch.no_grad():
            self.ln.weight.uniform_(0.5, 1.5)
            self.ln.bias.normal_()
        self.fc1, self.fc2 = nn.Linear(d, f), nn.Linear(f, d)

    def forward(self, x):
        return x + self.fc2(torch.relu(self.fc1(self.ln(x))))


class BNMLP(nn.Module):
    def __init__(self, d=48, f=96):
        super().__init__()
        self.fc1, self.bn, self.fc2 = nn.Linear(d, f), nn.BatchNorm1d(f), nn.Linear(f, d)
        with torch.no_grad():
            self.bn.running_mean.normal_()
            self.bn.running_var.uniform_(0.5, 2.0)
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.normal_()

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


class TokenMixer(nn.Module):
    """TransNormerLLM layer: SRMSNorm, q/k/v/u projections, decayed linear
    attention (silu feature map), SRMSNorm of the heads gated by u, output
    projection; SGLU channel mixer."""

    def __init__(self, d=64, h=4, f=128, step=False):
        super().__init__()
        self.h, self.dh = h, d // h
        self.n1, self.n2, self.no = (lfnn.RMSNorm(d, gain=False) for _ in range(3))
        self.q, self.k, self.v, self.u, self.o = (nn.Linear(d, d, bias=False) for _ in range(5))
        self.w1, self.w2 = nn.Linear(d, f, bias=False), nn.Linear(d, f, bias=False)
        self.w3 = nn.Linear(f, d, bias=False)
        decay = torch.tensor([2.0 ** (-8.0 * (i + 1) / h) for i in range(h)])
        self.step = step
        self.attn = (lfnn.LinearAttentionStep(decay, "silu") if step
                     else lfnn.LinearAttention(decay, True, "silu", return_state=True))

    def forward(self, x, state=None):
        b, n, d = x.shape
        hx = self.n1(x)
        split = lambda t: t.view(b, n, self.h, self.dh).transpose(1, 2)
        if self.step:
            q, k, v = (t.view(b, self.h, self.dh) for t in (self.q(hx), self.k(hx), self.v(hx)))
            o, s = self.attn(q, k, v, state)
            o = o.reshape(b, 1, d)
        else:
            o, s = self.attn(split(self.q(hx)), split(self.k(hx)), split(self.v(hx)))
            o = o.transpose(1, 2).reshape(b, n, d)
        x1 = x + self.o(self.u(hx) * self.no(o))
        h2 = self.n2(x1)
        return x1 + self.w3(self.w1(h2) * self.w2(h2)), s


def export(name, model, args, names, dynamic, opset=14):
    path = os.path.join(out_dir, name + ".onnx")
    torch.onnx.export(model.eval(), args, path, opset_version=opset, input_names=names[0],
                      output_names=names[1], dynamic_axes=dynamic,
                      custom_opsets=lfnn.CUSTOM_OPSETS)
    return path


def check(name, path, model, feeds, standard=True):
    with torch.no_grad():
        want = model(*[torch.from_numpy(f) for f in feeds])
    want = [w.numpy() for w in (want if isinstance(want, tuple) else (want,))]
    got = lightfuse.compile_onnx(path)(*feeds)
    got = got if isinstance(got, tuple) else (got,)
    ok = True
    for g, w in zip(got, want):
        scale = max(1.0, float(np.max(np.abs(w))))
        err = float(np.max(np.abs(g - w))) / scale
        if g.shape != w.shape or err > 1e-5:
            print(f"{name}: MISMATCH vs torch: shapes {g.shape} {w.shape}, rel err {err:.3g}")
            ok = False
    if ok:
        print(f"{name}: torch ok")
    if standard and ort is not None:
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        ref = sess.run(None, {i.name: f for i, f in zip(sess.get_inputs(), feeds)})
        for g, r in zip(got, ref):
            err = float(np.max(np.abs(g - r))) / max(1.0, float(np.max(np.abs(r))))
            if err > 1e-5:
                print(f"{name}: MISMATCH vs onnxruntime: rel err {err:.3g}")
                ok = False
        print(f"{name}: onnxruntime {'ok' if ok else 'differs'}")
    return ok


rng = np.random.default_rng(0)
seq = {1: "seq"}
x = torch.randn(2, 16, 64)
xs = rng.standard_normal((2, 23, 64)).astype(np.float32)  # another length than exported
ok = True
pre = PreLN()
ok &= check("preln14", export("preln14", pre, (x,), (["x"], ["y"]), {"x": seq, "y": seq}), pre, [xs])
ok &= check("preln17", export("preln17", pre, (x,), (["x"], ["y"]), {"x": seq, "y": seq}, 17), pre, [xs])
ll = Llama()
ok &= check("llama", export("llama", ll, (x,), (["x"], ["y"]), {"x": seq, "y": seq}), ll, [xs])
# Weights as dense_resource constants inside the function (--weights=inline)
# compute the same as weights passed as arguments.
inl = lightfuse.compile_onnx(os.path.join(out_dir, "llama.onnx"), inline_weights=True)
print("llama with dense_resource weights: same results",
      bool(np.array_equal(inl(xs), lightfuse.compile_onnx(os.path.join(out_dir, "llama.onnx"))(xs))))
bn = BNMLP()
xb = rng.standard_normal((32, 48)).astype(np.float32)
ok &= check("bn_mlp", export("bn_mlp", bn, (torch.from_numpy(xb),), (["x"], ["y"]),
                             {"x": {0: "batch"}, "y": {0: "batch"}}), bn, [xb])
tn = TokenMixer()
xt = torch.randn(1, 16, 64)
ok &= check("transnormer", export("transnormer", tn, (xt,), (["x"], ["y", "state"]),
                                  {"x": seq, "y": seq}),
            tn, [rng.standard_normal((1, 37, 64)).astype(np.float32)], standard=False)
st = TokenMixer(step=True)
st.load_state_dict(tn.state_dict())
s0 = torch.randn(1, 4, 16, 16) * 0.1
ok &= check("transnormer_step", export("transnormer_step", st, (torch.randn(1, 1, 64), s0),
                                       (["x", "state"], ["y", "new_state"]), None),
            st, [rng.standard_normal((1, 1, 64)).astype(np.float32), s0.numpy()], standard=False)
# Prefill hands over to decode: the state after N tokens, then one step,
# equals the prefill of N + 1 tokens.
pre_m = lightfuse.compile_onnx(os.path.join(out_dir, "transnormer.onnx"))
step_m = lightfuse.compile_onnx(os.path.join(out_dir, "transnormer_step.onnx"))
seq_in = rng.standard_normal((1, 21, 64)).astype(np.float32)
y_all, s_all = pre_m(seq_in)
y_pre, s_pre = pre_m(seq_in[:, :20])
y_step, s_step = step_m(seq_in[:, 20:], s_pre)
handover = (np.max(np.abs(y_step - y_all[:, 20:])) <= 1e-4 * max(1, np.max(np.abs(y_all)))
            and np.max(np.abs(s_step - s_all)) <= 1e-4 * max(1, np.max(np.abs(s_all))))
print("prefill -> decode handover:", "ok" if handover else "MISMATCH")
ok &= bool(handover)
print("all models match" if ok else "SOME MODELS DIFFER")
