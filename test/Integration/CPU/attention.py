# Attention ops through lf-run against numpy: linear attention against the
# naive token-by-token recurrence (decay per head and per channel, feature
# maps, non-causal, final state), the decode step, prefill-then-decode equal
# to one long prefill, and sigmoid/softplus/flow attention against their
# quadratic definitions.
# RUN: %PYTHON %s
# The same cases through the Python package (C API) and through lf-compile
# objects linked by a C driver:
# RUN: env LF_HARNESS=python %PYTHON %s
# RUN: env LF_HARNESS=aot %PYTHON %s
import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner, stored, ttype, uniform

rng = np.random.default_rng(3)
run = Runner()


def rnd(*shape, lo=-1.0, hi=1.0):
    return uniform(rng, *shape, lo=lo, hi=hi)


q = stored  # the value the kernel sees, in float64


def la_case(name, b, h, n, dk, dv, dt="f32", decay=None, causal=True, fm="identity",
            state=False, dyn=(), tol_scale=10.0):
    qq, kk, vv = rnd(b, h, n, dk), rnd(b, h, n, dk), rnd(b, h, n, dv)
    args = [(qq, dt, dyn), (kk, dt, dyn), (vv, dt, dyn)]
    qt, vt = ttype(qq.shape, dt, dyn), ttype(vv.shape, dt, dyn)
    dp = ""
    if decay is not None:
        args.append((decay, "f32", ()))
        dp = f" decay(%a3 : {ttype(decay.shape, 'f32')})"
    attrs = [f"feature_map = #lf.feature_map<{fm}>"]
    if not causal:
        attrs.append("causal = false")
    if state:
        attrs.append("return_state")
    st = ttype((b, h, dk, dv), "f32")
    res = vt + (f", {st}" if state else "")
    body = (f"  %0:{2 if state else 1} = lf.linear_attention %a0, %a1, %a2{dp} {{{', '.join(attrs)}}}"
            f" : {qt}, {qt}, {vt} -> {res}\n"
            f"  return {'%0#0, %0#1' if state else '%0#0'} : {res}")
    if causal:
        o, s = R.linear_attention_recurrent(q(qq, dt), q(kk, dt), q(vv, dt), decay, fm)
    else:
        o, s = R.linear_attention(q(qq, dt), q(kk, dt), q(vv, dt), None, False, fm), None
    results = [(vv.shape, dt, dyn)] + ([((b, h, dk, dv), "f32", ())] if state else [])
    run.run(name, args, body, results, [o] + ([s] if state else []), rtol_scale=tol_scale)


H = 4
slopes = np.array([2 ** (-8 / H * (i + 1)) for i in range(H)], np.float32)
la_case("linear_attention causal, no decay", 2, H, 9, 8, 5)
la_case("linear_attention decay [H] (ALiBi slopes)", 1, H, 33, 16, 16, decay=slopes)
la_case("linear_attention decay [H, Dk]", 1, H, 17, 8, 4, decay=rnd(H, 8, lo=0.0, hi=0.7))
la_case("linear_attention decay underflowing within a block", 1, H, 300, 8, 8,
        decay=np.full(H, 30.0, np.float32))
la_case("linear_attention decay ~1e-5 (state grows linearly)", 1, 2, 600, 8, 8,
        decay=np.full(2, 1e-5, np.float32))
la_case("linear_attention silu features + state", 1, 2, 12, 8, 6, fm="silu", state=True,
        decay=slopes[:2])
la_case("linear_attention elu+1, dynamic N", 2, 2, 10, 4, 4, fm="elu_plus_one", dyn=(2,))
la_case("linear_attention non-causal", 2, 3, 11, 8, 5, causal=False, fm="relu")
la_case("linear_attention f16", 1, 2, 16, 8, 8, dt="f16", decay=slopes[:2])
la_case("linear_attention bf16 sigmoid features", 1, 2, 16, 8, 8, dt="bf16", fm="sigmoid")

# Decode step against the recurrence, and prefill + steps == one prefill.
b, h, dk, dv, n0, n1 = 1, 2, 8, 4, 7, 3
decay = rnd(h, dk, lo=0.0, hi=0.5)
Q, K, V = rnd(b, h, n0 + n1, dk), rnd(b, h, n0 + n1, dk), rnd(b, h, n0 + n1, dv)
full, _ = R.linear_attention_recurrent(Q, K, V, decay, "silu")
_, s0 = R.linear_attention_recurrent(Q[:, :, :n0], K[:, :, :n0], V[:, :, :n0], decay, "silu")
qt, vt, st, dt_ = ttype((b, h, dk), "f32"), ttype((b, h, dv), "f32"), ttype((b, h, dk, dv), "f32"), ttype((h, dk), "f32")
step_body = (f"  %0:2 = lf.linear_attention_step %a0, %a1, %a2, %a3 decay(%a4 : {dt_}) "
             f"{{feature_map = #lf.feature_map<silu>}} : {qt}, {qt}, {vt}, {st} -> {vt}, {st}\n"
             f"  return %0#0, %0#1 : {vt}, {st}")
o_ref, s_ref = R.linear_attention_step(Q[:, :, n0], K[:, :, n0], V[:, :, n0], s0, decay, "silu")
run.run("linear_attention_step vs recurrence",
        [(Q[:, :, n0], "f32", ()), (K[:, :, n0], "f32", ()), (V[:, :, n0], "f32", ()),
         (s0.astype(np.float32), "f32", ()), (decay, "f32", ())],
        step_body, [((b, h, dv), "f32", ()), ((b, h, dk, dv), "f32", ())], [o_ref, s_ref], rtol_scale=10)
# Prefill with lf (returning the state), then lf decode steps, then compare
# each step's output with the long prefill's rows.
pre_q = ttype((b, h, n0, dk), "f32")
pre_v = ttype((b, h, n0, dv), "f32")
outs = run.run("prefill returns the decode state",
               [(Q[:, :, :n0], "f32", ()), (K[:, :, :n0], "f32", ()), (V[:, :, :n0], "f32", ()), (decay, "f32", ())],
               f"  %0:2 = lf.linear_attention %a0, %a1, %a2 decay(%a3 : {dt_}) {{feature_map = #lf.feature_map<silu>, "
               f"return_state}} : {pre_q}, {pre_q}, {pre_v} -> {pre_v}, {st}\n  return %0#0, %0#1 : {pre_v}, {st}",
               [((b, h, n0, dv), "f32", ()), ((b, h, dk, dv), "f32", ())], [full[:, :, :n0], s0], rtol_scale=10)
state = outs[1]
for t in range(n0, n0 + n1):
    o = run.run(f"decode step {t} == prefill row {t}",
                [(Q[:, :, t], "f32", ()), (K[:, :, t], "f32", ()), (V[:, :, t], "f32", ()), (state, "f32", ()),
                 (decay, "f32", ())], step_body, [((b, h, dv), "f32", ()), ((b, h, dk, dv), "f32", ())],
                [full[:, :, t], R.linear_attention_recurrent(Q[:, :, :t + 1], K[:, :, :t + 1], V[:, :, :t + 1], decay, "silu")[1]],
                rtol_scale=10)
    state = o[1]


def quad_case(op, name, n, m, dt="f32", causal=True, attrs=None, ref_kw=None, dyn=()):
    qq, kk, vv = rnd(1, 2, n, 8, lo=-2, hi=2), rnd(1, 2, m, 8, lo=-2, hi=2), rnd(1, 2, m, 5)
    a = dict(attrs or {})
    if not causal:
        a["causal"] = "false"
    at = "{" + ", ".join(f"{k} = {v}" for k, v in a.items()) + "}" if a else ""
    qt, kt, vt = ttype(qq.shape, dt, dyn), ttype(kk.shape, dt, dyn), ttype(vv.shape, dt, dyn)
    ot = ttype((1, 2, n, 5), dt, dyn)
    body = f"  %0 = lf.{op} %a0, %a1, %a2 {at} : {qt}, {kt}, {vt} -> {ot}\n  return %0 : {ot}"
    ref = getattr(R, op)(q(qq, dt), q(kk, dt), q(vv, dt), causal=causal, **(ref_kw or {}))
    run.run(f"{op} {name}", [(qq, dt, dyn), (kk, dt, dyn), (vv, dt, dyn)], body,
            [((1, 2, n, 5), dt, dyn)], [ref], rtol_scale=10)


quad_case("sigmoid_attention", "causal", 9, 9)
quad_case("sigmoid_attention", "non-causal M != N", 7, 12, causal=False)
quad_case("sigmoid_attention", "normalized, scale", 9, 9, attrs={"normalize": "true", "scale": "0.5 : f32"},
          ref_kw={"normalize": True, "scale": 0.5})
quad_case("sigmoid_attention", "dynamic N, bf16", 6, 6, dt="bf16", dyn=(2,))
quad_case("softplus_attention", "causal (LSSA)", 9, 9)
quad_case("softplus_attention", "length scale + power re-weighting", 11, 11,
          attrs={"train_length": "4 : i64", "reweight_power": "2.0 : f32"},
          ref_kw={"train_length": 4, "reweight_power": 2.0})
quad_case("softplus_attention", "non-causal length scale", 5, 8, causal=False,
          attrs={"train_length": "16 : i64"}, ref_kw={"train_length": 16})
quad_case("flow_attention", "causal", 10, 10)
quad_case("flow_attention", "non-causal M != N", 6, 9, causal=False)
quad_case("flow_attention", "causal f16", 8, 8, dt="f16")
quad_case("flow_attention", "non-causal dynamic", 7, 7, causal=False, dyn=(2,))
# Longer sequences: the lowering is linear-time (prefix sums and a linear
# attention, no [N, N] matrix), the reference the quadratic definition.
quad_case("flow_attention", "causal N=600 dynamic", 600, 600, dyn=(2,))
quad_case("flow_attention", "non-causal N=500, M=700", 500, 700, causal=False)
run.finish()
