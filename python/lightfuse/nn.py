"""PyTorch modules for the lf operators ONNX has no op for.

Each computes its math eagerly in plain PyTorch (so a model using them runs
and trains as usual) and exports through ``torch.onnx.export`` as one node of
lightfuse's custom domain ``ai.lightfuse`` (opset 1), which ``lf-import-onnx``
maps onto the lf op. Export with ``custom_opsets={"ai.lightfuse": 1}``
(``lightfuse.nn.CUSTOM_OPSETS``). Works with PyTorch 1.13 and 2.x (the
TorchScript-based exporter). The domain's nodes are documented in
docs/onnx.md:

=====================  =====================================================
``LinearAttention``    q, k, v ``[B, H, N, D]``, optional decay rates ``[H]``
                       or ``[H, Dk]`` -> o, (state ``[B, H, Dk, Dv]``);
                       attributes ``causal`` (int, 1), ``feature_map``
                       (string: identity, silu, elu_plus_one, relu, sigmoid)
``LinearAttentionStep`` q, k, v ``[B, H, D]``, state, optional decay ->
                       o, new state; attribute ``feature_map``
``RMSNorm``            x, optional gain ``[d]`` -> y; ``epsilon`` (1e-6)
=====================  =====================================================
"""

import torch

DOMAIN = "ai.lightfuse"
CUSTOM_OPSETS = {DOMAIN: 1}

_FEATURE_MAPS = ("identity", "silu", "elu_plus_one", "relu", "sigmoid")


def feature_map(x, name):
    if name == "identity":
        return x
    if name == "silu":
        return torch.nn.functional.silu(x)
    if name == "elu_plus_one":
        return torch.nn.functional.elu(x) + 1
    if name == "relu":
        return torch.relu(x)
    if name == "sigmoid":
        return torch.sigmoid(x)
    raise ValueError(f"unknown feature map {name!r} (one of {_FEATURE_MAPS})")


def _decay_factors(decay, n, dk, dtype):
    """exp(-s * (t - u)) for u <= t, as [H or H*Dk..., N, N] (0 above)."""
    t = torch.arange(n, dtype=dtype)
    diff = t[:, None] - t[None, :]
    mask = diff >= 0
    rates = decay.to(dtype)
    expo = -rates[..., None, None] * diff.clamp(min=0)
    return torch.where(mask, torch.exp(expo), torch.zeros((), dtype=dtype))


def linear_attention_math(q, k, v, decay=None, causal=True, fm="identity"):
    """The reference math of lf.linear_attention: returns (o, state)."""
    pq, pk = feature_map(q, fm).float(), feature_map(k, fm).float()
    vf = v.float()
    n, dk = q.shape[-2], q.shape[-1]
    if not causal:
        kv = pk.transpose(-1, -2) @ vf
        return (pq @ kv).to(v.dtype), kv
    if decay is None:
        decay = torch.zeros(q.shape[1])
    if decay.dim() == 1:
        dmat = _decay_factors(decay, n, dk, torch.float32)  # [H, N, N]
        o = ((pq @ pk.transpose(-1, -2)) * dmat) @ vf
        w = torch.exp(-decay.float()[:, None] * (n - 1 - torch.arange(n, dtype=torch.float32)))
        state = (pk * w[None, :, :, None]).transpose(-1, -2) @ vf
    else:
        # One rate per key channel: o[t] = sum_u sum_c q[t,c] k[u,c] l_c^(t-u) v[u].
        dmat = _decay_factors(decay, n, dk, torch.float32)  # [H, Dk, N, N]
        scores = torch.einsum("bhtc,bhuc,hctu->bhtu", pq, pk, dmat)
        o = scores @ vf
        w = torch.exp(-decay.float()[:, :, None] * (n - 1 - torch.arange(n, dtype=torch.float32)))
        state = torch.einsum("bhuc,hcu,bhue->bhce", pk, w, vf)
    return o.to(v.dtype), state


def linear_attention_step_math(q, k, v, state, decay=None, fm="identity"):
    """The reference math of lf.linear_attention_step: returns (o, new_state)."""
    pq, pk = feature_map(q, fm).float(), feature_map(k, fm).float()
    if decay is None:
        lam = torch.ones(q.shape[1], 1, 1)
    elif decay.dim() == 1:
        lam = torch.exp(-decay.float())[:, None, None]
    else:
        lam = torch.exp(-decay.float())[:, :, None]
    new = lam[None] * state + pk[..., :, None] * v.float()[..., None, :]
    o = (pq[..., None, :] @ new).squeeze(-2)
    return o.to(v.dtype), new


class _LinearAttentionFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, decay, causal, fm, with_state):
        o, s = linear_attention_math(q, k, v, decay, causal, fm)
        return (o, s) if with_state else o

    @staticmethod
    def symbolic(g, q, k, v, decay, causal, fm, with_state):
        args = [q, k, v] + ([decay] if decay is not None else [])
        return g.op(DOMAIN + "::LinearAttention", *args, causal_i=int(causal),
                    feature_map_s=fm, outputs=2 if with_state else 1)


class _LinearAttentionStepFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, state, decay, fm):
        return linear_attention_step_math(q, k, v, state, decay, fm)

    @staticmethod
    def symbolic(g, q, k, v, state, decay, fm):
        args = [q, k, v, state] + ([decay] if decay is not None else [])
        return g.op(DOMAIN + "::LinearAttentionStep", *args, feature_map_s=fm, outputs=2)


class _RMSNormFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, gain, eps):
        y = x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + eps).to(x.dtype)
        return y * gain if gain is not None else y

    @staticmethod
    def symbolic(g, x, gain, eps):
        args = [x] + ([gain] if gain is not None else [])
        return g.op(DOMAIN + "::RMSNorm", *args, epsilon_f=float(eps))


class LinearAttention(torch.nn.Module):
    """TransNormerLLM's linear attention with per-head decay (lf.linear_attention).

    forward(q, k, v) with ``[B, H, N, D]`` tensors returns o, or (o, state)
    with ``return_state=True`` (the state a decode step continues from).
    ``decay`` holds the rates ``s = -log(lambda) >= 0`` (``[H]`` or
    ``[H, Dk]``), a buffer exported as an initializer."""

    def __init__(self, decay=None, causal=True, feature_map="identity", return_state=False):
        super().__init__()
        if feature_map not in _FEATURE_MAPS:
            raise ValueError(f"unknown feature map {feature_map!r}")
        self.causal, self.feature_map, self.return_state = causal, feature_map, return_state
        self.register_buffer("decay", None if decay is None else torch.as_tensor(decay, dtype=torch.float32))

    def forward(self, q, k, v):
        return _LinearAttentionFn.apply(q, k, v, self.decay, self.causal, self.feature_map,
                                        self.return_state)


class LinearAttentionStep(torch.nn.Module):
    """One recurrent decode step (lf.linear_attention_step): forward(q, k, v,
    state) with ``[B, H, D]`` q/k/v and an f32 ``[B, H, Dk, Dv]`` state
    returns (o, new_state)."""

    def __init__(self, decay=None, feature_map="identity"):
        super().__init__()
        if feature_map not in _FEATURE_MAPS:
            raise ValueError(f"unknown feature map {feature_map!r}")
        self.feature_map = feature_map
        self.register_buffer("decay", None if decay is None else torch.as_tensor(decay, dtype=torch.float32))

    def forward(self, q, k, v, state):
        return _LinearAttentionStepFn.apply(q, k, v, state, self.decay, self.feature_map)


class RMSNorm(torch.nn.Module):
    """RMSNorm over the last dimension (lf.rms_norm); ``gain=False`` is
    TransNormerLLM's SimpleRMSNorm."""

    def __init__(self, d, eps=1e-6, gain=True):
        super().__init__()
        self.eps = eps
        self.weight = torch.nn.Parameter(torch.ones(d)) if gain else None

    def forward(self, x):
        return _RMSNormFn.apply(x, self.weight, self.eps)
