"""Independent numpy references for every lf op.

Written from the math in docs/spec.md, in float64, with no knowledge of
how lightfuse lowers anything. Inputs may be any float dtype; outputs are
float64. Shapes follow the lf op definitions (see dialects/lf/README.md).
"""

import math

import numpy as np


def _f64(*xs):
    return [None if x is None else np.asarray(x, dtype=np.float64) for x in xs]


def _chan(p, rank, axis):
    """Reshape a per-channel vector [C] to broadcast along `axis`."""
    shape = [1] * rank
    shape[axis] = -1
    return p.reshape(shape)


# --- normalization --------------------------------------------------------

def layer_norm(x, gain=None, bias=None, eps=1e-5, scale=None):
    x, gain, bias = _f64(x, gain, bias)
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    y = (x - mu) / np.sqrt(var + eps)
    if gain is not None:
        y = y * gain
    if bias is not None:
        y = y + bias
    return y * scale if scale is not None else y


def rms_norm(x, gain=None, eps=1e-6, scale=None):
    x, gain = _f64(x, gain)
    y = x / np.sqrt((x * x).mean(-1, keepdims=True) + eps)
    if gain is not None:
        y = y * gain
    return y * scale if scale is not None else y


def crms_norm(z, gain=None, eps=1e-6):
    """First d-1 entries of RMSNorm of the zero-mean vector z completes."""
    z, gain = _f64(z, gain)
    full = np.concatenate([z, -z.sum(-1, keepdims=True)], axis=-1)
    y = rms_norm(full, eps=eps)[..., :-1]
    return y * gain if gain is not None else y


def batch_norm(x, mean, var, gain=None, bias=None, eps=1e-5, axis=-1):
    x, mean, var, gain, bias = _f64(x, mean, var, gain, bias)
    r = x.ndim
    ax = axis % r
    y = (x - _chan(mean, r, ax)) / np.sqrt(_chan(var, r, ax) + eps)
    if gain is not None:
        y = y * _chan(gain, r, ax)
    if bias is not None:
        y = y + _chan(bias, r, ax)
    return y


def power_norm(x, qm, gain=None, bias=None, groups=1, eps=1e-5,
               group_eps=1e-5, axis=-1):
    x, qm, gain, bias = _f64(x, qm, gain, bias)
    r = x.ndim
    ax = axis % r
    xm = np.moveaxis(x, ax, -1)
    c = xm.shape[-1]
    g = xm.reshape(xm.shape[:-1] + (groups, c // groups))
    g = g / np.sqrt((g * g).mean(-1, keepdims=True) + group_eps)
    x1 = np.moveaxis(g.reshape(xm.shape), -1, ax)
    y = x1 / np.sqrt(_chan(qm, r, ax) + eps) if qm is not None else x1
    if gain is not None:
        y = y * _chan(gain, r, ax)
    if bias is not None:
        y = y + _chan(bias, r, ax)
    return y


def unified_norm(x, qm, gain=None, bias=None, eps=1e-5, axis=-1):
    x, qm, gain, bias = _f64(x, qm, gain, bias)
    r = x.ndim
    ax = axis % r
    y = x / np.sqrt(_chan(qm, r, ax) + eps)
    if gain is not None:
        y = y * _chan(gain, r, ax)
    if bias is not None:
        y = y + _chan(bias, r, ax)
    return y


def _spatial_axes(r, ax):
    return tuple(i for i in range(r) if i not in (0, ax))


def evonorm_b0(x, v, gain, bias, running_var, eps=1e-5, axis=1):
    x, v, gain, bias, running_var = _f64(x, v, gain, bias, running_var)
    r = x.ndim
    ax = axis % r
    sp = _spatial_axes(r, ax)
    inst_std = np.sqrt(x.var(axis=sp, keepdims=True) + eps) if sp else np.sqrt(eps)
    batch_std = np.sqrt(_chan(running_var, r, ax) + eps)
    den = np.maximum(batch_std, _chan(v, r, ax) * x + inst_std)
    return x / den * _chan(gain, r, ax) + _chan(bias, r, ax)


def evonorm_s0(x, v, gain, bias, groups=32, eps=1e-5, axis=1):
    x, v, gain, bias = _f64(x, v, gain, bias)
    r = x.ndim
    ax = axis % r
    xm = np.moveaxis(x, ax, 1)  # [N, C, ...]
    n, c = xm.shape[0], xm.shape[1]
    # spec.md 3.10: the largest divisor of C that is <= groups.
    groups = next(d for d in range(min(groups, c), 0, -1) if c % d == 0)
    g = xm.reshape((n, groups, -1))
    std = np.sqrt(g.var(axis=-1, keepdims=True) + eps)
    std = np.broadcast_to(std, g.shape).reshape(xm.shape)
    std = np.moveaxis(std, 1, ax)
    sig = 1.0 / (1.0 + np.exp(-_chan(v, r, ax) * x))
    return x * sig / std * _chan(gain, r, ax) + _chan(bias, r, ax)


def channel_affine(x, scale, shift, axis=-1):
    x, scale, shift = _f64(x, scale, shift)
    r = x.ndim
    ax = axis % r
    return x * _chan(scale, r, ax) + _chan(shift, r, ax)


# --- linear, elementwise, gates ------------------------------------------

def linear(x, w, bias=None):
    x, w, bias = _f64(x, w, bias)
    y = x @ w.T
    return y + bias if bias is not None else y


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def activation(kind, x):
    (x,) = _f64(x)
    if kind == "identity":
        return x
    if kind == "relu":
        return np.maximum(x, 0.0)
    if kind == "gelu":
        erf = np.vectorize(math.erf)
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    if kind == "gelu_tanh":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    if kind == "silu":
        return x * _sigmoid(x)
    if kind == "sigmoid":
        return _sigmoid(x)
    if kind == "softplus":
        return np.logaddexp(0.0, x)
    if kind == "elu_plus_one":
        return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))
    raise ValueError(kind)


GLU_ACT = {"none": "identity", "sigmoid": "sigmoid", "silu": "silu",
           "gelu": "gelu", "relu": "relu"}


def glu(act, gate, up):
    (up,) = _f64(up)
    return activation(GLU_ACT[act], gate) * up


# --- attention ------------------------------------------------------------

def _decay_lambda(decay, h, dk):
    """lambda [H, Dk] from rates [H] or [H, Dk]; ones without decay."""
    if decay is None:
        return np.ones((h, dk))
    d = np.asarray(decay, dtype=np.float64)
    if d.ndim == 1:
        d = np.repeat(d[:, None], dk, axis=1)
    return np.exp(-d)


def linear_attention_recurrent(q, k, v, decay=None, feature_map="identity",
                               state=None):
    """Token-by-token recurrence S_t = lambda S_{t-1} + k_t^T v_t, o_t = q_t S_t.

    Returns (o [B,H,N,Dv], final state [B,H,Dk,Dv]).
    """
    q = activation(feature_map, q)
    k = activation(feature_map, k)
    (v,) = _f64(v)
    b, h, n, dk = q.shape
    dv = v.shape[-1]
    lam = _decay_lambda(decay, h, dk)[None, :, :, None]  # [1,H,Dk,1]
    s = np.zeros((b, h, dk, dv)) if state is None else np.array(state, dtype=np.float64)
    out = np.zeros((b, h, n, dv))
    for t in range(n):
        s = lam * s + k[:, :, t, :, None] * v[:, :, t, None, :]
        out[:, :, t] = np.einsum("bhi,bhij->bhj", q[:, :, t], s)
    return out, s


def linear_attention(q, k, v, decay=None, causal=True, feature_map="identity"):
    if causal:
        return linear_attention_recurrent(q, k, v, decay, feature_map)[0]
    qf = activation(feature_map, q)
    kf = activation(feature_map, k)
    (v,) = _f64(v)
    return np.einsum("bhti,bhij->bhtj", qf, np.einsum("bhsi,bhsj->bhij", kf, v))


def linear_attention_step(q, k, v, state, decay=None, feature_map="identity"):
    o, s = linear_attention_recurrent(q[:, :, None], k[:, :, None],
                                      v[:, :, None], decay, feature_map, state)
    return o[:, :, 0], s


def _mask(n, m, causal):
    if not causal:
        return np.ones((n, m), dtype=bool)
    return np.tril(np.ones((n, m), dtype=bool))


def sigmoid_attention(q, k, v, causal=True, scale=None, normalize=False):
    q, k, v = _f64(q, k, v)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    a = _sigmoid(np.einsum("bhtd,bhsd->bhts", q, k) * scale)
    a = a * _mask(q.shape[2], k.shape[2], causal)
    o = a @ v
    if normalize:
        o = o / (a.sum(-1, keepdims=True) + 1e-8)
    return o


def softplus_attention(q, k, v, causal=True, scale=None, train_length=None,
                       reweight_power=1.0):
    q, k, v = _f64(q, k, v)
    n, m = q.shape[2], k.shape[2]
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    z = np.einsum("bhtd,bhsd->bhts", q, k) * scale
    if train_length is not None:
        nt = np.arange(1, n + 1, dtype=np.float64) if causal else np.full(n, float(m))
        z = z * (np.log(nt) / math.log(train_length))[:, None]
    a = np.logaddexp(0.0, z) ** reweight_power
    a = a * _mask(n, m, causal)
    return (a / a.sum(-1, keepdims=True)) @ v


def flow_attention(q, k, v, causal=True, eps=1e-6):
    """Flowformer, transcribed from spec.md 5.6 (quadratic, per (b, h))."""
    q, k, v = _f64(q, k, v)
    qp, kp = _sigmoid(q), _sigmoid(k)
    n, m = q.shape[2], k.shape[2]
    if not causal:
        qs = qp.sum(2, keepdims=True)
        ks = kp.sum(2, keepdims=True)
        inflow = 1.0 / ((qp + eps) * (ks + eps)).sum(-1)
        outflow = 1.0 / ((kp + eps) * (qs + eps)).sum(-1)
        ic = ((qp + eps) * ((kp * outflow[..., None]).sum(2, keepdims=True) + eps)).sum(-1)
        oc = ((kp + eps) * ((qp * inflow[..., None]).sum(2, keepdims=True) + eps)).sum(-1)
        oc = np.clip(oc, -1.0, 1.0)
        alloc = _sigmoid(ic * n / m)
        comp = np.exp(oc) / np.exp(oc).sum(-1, keepdims=True) * m
        kv = np.einsum("bhsd,bhse->bhde", kp, v * comp[..., None])
        return alloc[..., None] * np.einsum("bhtd,bhde->bhte", qp * inflow[..., None], kv)
    c = np.arange(1, n + 1, dtype=np.float64)
    cum = lambda x: np.cumsum(x, axis=2)
    inflow = c / ((qp + eps) * (cum(kp) + eps)).sum(-1)
    outflow = c / ((kp + eps) * (cum(qp) + eps)).sum(-1)
    ic = ((qp + eps) * (cum(kp * outflow[..., None]) + eps)).sum(-1) / c
    oc = np.clip(((kp + eps) * (cum(qp * inflow[..., None]) + eps)).sum(-1) / c, -1.0, 1.0)
    alloc = _sigmoid(ic)
    comp = np.exp(oc) / np.cumsum(np.exp(oc), axis=-1) * c
    out = np.zeros(q.shape[:3] + (v.shape[-1],))
    for t in range(n):
        kv = np.einsum("bhsd,bhse->bhde", kp[:, :, : t + 1],
                       v[:, :, : t + 1] * comp[:, :, : t + 1, None])
        qt = qp[:, :, t] * inflow[:, :, t, None] / c[t]
        out[:, :, t] = alloc[:, :, t, None] * np.einsum("bhd,bhde->bhe", qt, kv)
    return out


def norm_linear(kind, x, w, bias=None, eps=1e-5):
    """linear(norm(x)) with the affine-free LayerNorm or RMSNorm."""
    n = layer_norm(x, eps=eps) if kind == "layer" else rms_norm(x, eps=eps)
    return linear(n, w, bias)


def recenter(x, axis=-1):
    (x,) = _f64(x)
    return x - x.mean(axis=axis, keepdims=True)


def _normalize(v):
    return v / max(np.linalg.norm(v), 1e-12)


def sigma_reparam(w, gamma, u=None):
    """sigmaReparam (spec.md 6.1). With u: the evaluation-mode power step of
    apple/ml-sigma-reparam; without: the exact spectral norm (SVD)."""
    (w,) = _f64(w)
    g = float(np.asarray(gamma, np.float64).reshape(-1)[0])
    if u is None:
        sigma = np.linalg.svd(w, compute_uv=False)[0]
    else:
        v = _normalize(w @ np.asarray(u, np.float64))
        u2 = _normalize(w.T @ v)
        sigma = v @ (w @ u2)
    return (g / sigma) * w


def weight_standardize(w, gain=None, gamma=1.0, eps=1e-6):
    """Scaled Weight Standardization (timm ScaledStdConv2d)."""
    (w,) = _f64(w)
    flat = w.reshape(w.shape[0], -1)
    mean = flat.mean(axis=1, keepdims=True)
    var = flat.var(axis=1, keepdims=True)
    y = (flat - mean) / np.sqrt(var + eps) * (gamma / np.sqrt(flat.shape[1]))
    if gain is not None:
        y = y * np.asarray(gain, np.float64)[:, None]
    return y.reshape(w.shape)


def weight_compand(w, exponent=0.5):
    (w,) = _f64(w)
    return np.sign(w) * np.abs(w) ** exponent


def _ssm_modes(log_dt, log_a_real, a_imag, disc):
    dt = np.exp(np.asarray(log_dt, np.float64))[:, None]
    a = -np.exp(np.asarray(log_a_real, np.float64)) + 1j * np.asarray(a_imag, np.float64)
    z = dt * a
    if disc == "zoh":
        da = np.exp(z)
        db = (da - 1.0) / a
    else:
        da = (1 + z / 2) / (1 - z / 2)
        db = dt / (1 - z / 2)
    return da, db


def diag_ssm(u, log_dt, log_a_real, a_imag, c_real, c_imag, skip=None, disc="zoh"):
    """S4D (spec.md 8): the kernel K = 2 Re(sum_n C dB dA^l), applied with an
    FFT convolution of length 2L (as state-spaces/s4 does), plus the skip."""
    (u,) = _f64(u)
    da, db = _ssm_modes(log_dt, log_a_real, a_imag, disc)
    c = np.asarray(c_real, np.float64) + 1j * np.asarray(c_imag, np.float64)
    L = u.shape[-1]
    powers = np.exp(np.log(da)[:, :, None] * np.arange(L))  # dA^l = exp(l log dA)
    k = 2 * np.real(np.einsum("hn,hnl->hl", c * db, powers))
    y = np.fft.irfft(np.fft.rfft(u, 2 * L) * np.fft.rfft(k, 2 * L), 2 * L)[..., :L]
    if skip is not None:
        y = y + np.asarray(skip, np.float64)[:, None] * u
    return y


def diag_ssm_recurrent(u, log_dt, log_a_real, a_imag, c_real, c_imag, skip=None, disc="zoh",
                       state=None, return_state=False):
    """The same S4D layer as a step-by-step recurrence on the complex state;
    `state` [B, H, N, 2] (real, imaginary) is the state before the first
    step, and with return_state the state after the last comes back too."""
    (u,) = _f64(u)
    da, db = _ssm_modes(log_dt, log_a_real, a_imag, disc)
    c = np.asarray(c_real, np.float64) + 1j * np.asarray(c_imag, np.float64)
    x = np.zeros(u.shape[:2] + da.shape[1:], np.complex128)
    if state is not None:
        st = np.asarray(state, np.float64)
        x = st[..., 0] + 1j * st[..., 1]
    y = np.zeros_like(u)
    for t in range(u.shape[-1]):
        x = da * x + db * u[:, :, t, None]
        y[:, :, t] = 2 * np.real((c * x).sum(-1))
    if skip is not None:
        y = y + np.asarray(skip, np.float64)[:, None] * u
    if return_state:
        return y, np.stack([x.real, x.imag], axis=-1)
    return y


def lrpe(x, theta, offset=0):
    """LRPE (spec.md 5.3): concat(x cos(theta p), x sin(theta p)), p = offset + n."""
    (x,) = _f64(x)
    th = np.asarray(theta, np.float64)[None, :, None, :]
    p = (offset + np.arange(x.shape[2], dtype=np.float64))[None, None, :, None]
    ang = np.mod(th * p, 2 * np.pi)
    return np.concatenate([x * np.cos(ang), x * np.sin(ang)], axis=-1)
