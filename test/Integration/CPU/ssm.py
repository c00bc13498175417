# lf.diag_ssm (S4D): the kernel form and the recurrent form, ZOH and bilinear,
# S4D-Lin / S4D-Inv / S4D-Real initializations, against numpy's FFT
# convolution of the kernel (and its own recurrence), decoding step by step
# from a state (state(...) in, the next state out), through lf-run, the
# Python package and AOT objects.
# RUN: %PYTHON %s
# RUN: env LF_HARNESS=python %PYTHON %s
# RUN: env LF_HARNESS=aot %PYTHON %s
import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner, stored, ttype

rng = np.random.default_rng(13)
run = Runner()


def params(h, n, init):
    log_dt = rng.uniform(np.log(1e-3), np.log(1e-1), h)
    idx = np.arange(n)
    if init == "lin":
        lar, ai = np.full((h, n), np.log(0.5)), np.tile(np.pi * idx, (h, 1))
    elif init == "inv":
        lar, ai = np.full((h, n), np.log(0.5)), np.tile((2 * n / np.pi) * (2 * n / (2 * idx + 1) - 1), (h, 1))
    else:  # real: A = -(n + 1)
        lar, ai = np.tile(np.log(idx + 1.0), (h, 1)), np.zeros((h, n))
    cr, ci = rng.standard_normal((h, n)) * 0.5, rng.standard_normal((h, n)) * 0.5
    d = rng.standard_normal(h)
    return [a.astype(np.float32) for a in (log_dt, lar, ai, cr, ci, d)]


for form in ["kernel", "recurrent"]:
    for disc, init, dt, b, h, n, L, dyn, skip in [
            ("zoh", "lin", "f32", 2, 4, 8, 50, (), True),
            ("bilinear", "inv", "f32", 1, 3, 16, 64, (2,), False),
            ("zoh", "real", "f32", 2, 2, 4, 33, (), True),
            ("zoh", "lin", "bf16", 1, 2, 8, 40, (2,), True),
            ("bilinear", "lin", "f32", 1, 2, 4, 1, (), True)]:
        u = rng.standard_normal((b, h, L)).astype(np.float32)
        log_dt, lar, ai, cr, ci, d = params(h, n, init)
        ut = ttype(u.shape, dt, dyn)
        sp = f" skip(%a6 : tensor<{h}xf32>)" if skip else ""
        body = (f"  %0 = lf.diag_ssm {form} {disc} %a0, %a1, %a2, %a3, %a4, %a5{sp} : {ut}, "
                f"tensor<{h}xf32>, tensor<{h}x{n}xf32>\n  return %0 : {ut}")
        args = [(u, dt, dyn)] + [(p, "f32", ()) for p in (log_dt, lar, ai, cr, ci)] + ([(d, "f32", ())] if skip else [])
        uq = stored(u, dt)
        ref = R.diag_ssm(uq, log_dt, lar, ai, cr, ci, d if skip else None, disc)
        rec = R.diag_ssm_recurrent(uq, log_dt, lar, ai, cr, ci, d if skip else None, disc)
        assert np.allclose(ref, rec, rtol=1e-9, atol=1e-9), "numpy kernel and recurrence disagree"
        run.run(f"diag_ssm {form} {disc} {init} {dt} L={L}", args, body, [(u.shape, dt, dyn)], [ref],
                rtol_scale=10.0)

# A long sequence through the recurrent form (linear in L), and the two forms
# of one layer against each other at L = 1000.
u = rng.standard_normal((1, 4, 1000)).astype(np.float32)
log_dt, lar, ai, cr, ci, d = params(4, 16, "lin")
outs = []
for form in ["kernel", "recurrent"]:
    body = (f"  %0 = lf.diag_ssm {form} zoh %a0, %a1, %a2, %a3, %a4, %a5 skip(%a6 : tensor<4xf32>) : "
            f"tensor<1x4x?xf32>, tensor<4xf32>, tensor<4x16xf32>\n  return %0 : tensor<1x4x?xf32>")
    outs.append(run.run(f"diag_ssm {form} L=1000", [(u, "f32", (2,))] + [(p, "f32", ()) for p in (log_dt, lar, ai, cr, ci, d)],
                        body, [(u.shape, "f32", (2,))], [R.diag_ssm(u, log_dt, lar, ai, cr, ci, d)], rtol_scale=10.0))
# Decoding with state(...): a prefill of P tokens from a nonzero state
# returns the state after it, then steps of one token each (L = 1) from that
# state; outputs and every state against the float64 recurrence, both forms
# (a given state makes both run the recurrence), f32 and bf16 inputs.
for form, dt, b, h, n, P, steps in [("recurrent", "f32", 2, 3, 8, 37, 3),
                                      ("kernel", "f32", 1, 4, 16, 20, 2),
                                      ("recurrent", "bf16", 1, 2, 4, 9, 2)]:
    log_dt, lar, ai, cr, ci, d = params(h, n, "lin")
    s0 = (0.3 * rng.standard_normal((b, h, n, 2))).astype(np.float32)
    pars = [(p, "f32", ()) for p in (log_dt, lar, ai, cr, ci, d)]
    st = f"tensor<{b}x{h}x{n}x2xf32>"
    state = s0
    for i, L in enumerate([P] + [1] * steps):
        u = rng.standard_normal((b, h, L)).astype(np.float32)
        ut = ttype(u.shape, dt)
        body = (f"  %y, %s = lf.diag_ssm {form} zoh %a0, %a1, %a2, %a3, %a4, %a5 skip(%a6 : tensor<{h}xf32>)"
                f" state(%a7 : {st}) : {ut}, tensor<{h}xf32>, tensor<{h}x{n}xf32> -> {st}\n"
                f"  return %y, %s : {ut}, {st}")
        ref_y, ref_s = R.diag_ssm_recurrent(stored(u, dt), log_dt, lar, ai, cr, ci, d, "zoh",
                                            state=state, return_state=True)
        got = run.run(f"diag_ssm {form} {dt} state {'prefill' if i == 0 else 'step'} L={L}",
                      [(u, dt, ())] + pars + [(state, "f32", ())], body,
                      [(u.shape, dt, ()), ((b, h, n, 2), "f32", ())], [ref_y, ref_s], rtol_scale=10.0)
        # The next call starts from the reference state (a failure above
        # stays one failure).
        state = ref_s.astype(np.float32)

if all(o is not None for o in outs):
    diff = float(np.abs(outs[0][0] - outs[1][0]).max() / np.abs(outs[1][0]).max())
    ok = diff < 1e-4
    print(f"{'PASS' if ok else 'FAIL'} kernel form == recurrent form at L=1000 (max rel diff {diff:.1e})")
    if not ok:
        run.failures.append("kernel vs recurrent")
run.finish()
