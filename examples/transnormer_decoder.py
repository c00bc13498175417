"""A TransNormerLLM-style decoder in plain PyTorch, with its two inference
entry points (prefill and one decode step) as modules torch.onnx can export.

    embedding -> N x [ token mixer:   x += Wo(u * SRMSNorm(LinearAttn(q, k, v)))
                       channel mixer: x += W3((h W1^T) * (h W2^T)), h = SRMSNorm(x) ]
              -> SRMSNorm -> tied output projection (logits = h E^T)

The token mixer's q, k, v, u read SRMSNorm(x); the attention is causal
linear attention with a SiLU feature map and one decay rate per head
(TransNormerLLM's ALiBi-like slopes, smaller in deeper layers); the output
gate is NormAttention's (SRMSNorm of the concatenated heads times u). The
attention comes from lightfuse.nn, so the export holds ai.lightfuse
LinearAttention / LinearAttentionStep nodes while the eager forward computes
the same math. Prefill returns the last position's logits and every layer's
recurrent state ([B, H, Dk, Dv], f32); a decode step takes one token and the
states and returns the logits and the new states: its cost does not grow with
the context.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

import lightfuse.nn as lfnn


class Config:
    def __init__(self, vocab=32000, d_model=768, heads=12, ffn=2048, layers=6):
        self.vocab, self.d_model, self.heads, self.ffn, self.layers = vocab, d_model, heads, ffn, layers
        self.head_dim = d_model // heads


def decay_rates(cfg, layer):
    """TransNormerLLM's per-head decay rates s_h = -log(lambda_h): slopes
    2^(-8h/H), scaled down with depth."""
    depth = 1.0 - layer / cfg.layers + 1e-2
    return torch.tensor([2.0 ** (-8.0 * (h + 1) / cfg.heads) * depth for h in range(cfg.heads)])


class Layer(nn.Module):
    def __init__(self, cfg, index):
        super().__init__()
        d, f = cfg.d_model, cfg.ffn
        self.h, self.dh = cfg.heads, cfg.head_dim
        self.norm1, self.norm_attn, self.norm2 = (lfnn.RMSNorm(d, gain=False) for _ in range(3))
        self.wq, self.wk, self.wv, self.wu, self.wo = (nn.Linear(d, d, bias=False) for _ in range(5))
        self.w1, self.w2 = nn.Linear(d, f, bias=False), nn.Linear(d, f, bias=False)
        self.w3 = nn.Linear(f, d, bias=False)
        rates = decay_rates(cfg, index)
        self.attn = lfnn.LinearAttention(rates, causal=True, feature_map="silu", return_state=True)
        self.step_attn = lfnn.LinearAttentionStep(rates, feature_map="silu")

    def _mix_channels(self, x):
        h = self.norm2(x)
        return x + self.w3(self.w1(h) * self.w2(h))

    def forward(self, x):
        """Prefill: x [B, N, d] -> (x, state [B, H, Dk, Dv])."""
        b, n, d = x.shape
        h = self.norm1(x)
        heads = lambda t: t.view(b, n, self.h, self.dh).transpose(1, 2)
        o, state = self.attn(heads(self.wq(h)), heads(self.wk(h)), heads(self.wv(h)))
        o = o.transpose(1, 2).reshape(b, n, d)
        x = x + self.wo(self.wu(h) * self.norm_attn(o))
        return self._mix_channels(x), state

    def step(self, x, state):
        """Decode: x [B, 1, d], state -> (x, new state)."""
        b, _, d = x.shape
        h = self.norm1(x)
        split = lambda t: t.view(b, self.h, self.dh)
        o, state = self.step_attn(split(self.wq(h)), split(self.wk(h)), split(self.wv(h)), state)
        x = x + self.wo(self.wu(h) * self.norm_attn(o.reshape(b, 1, d)))
        return self._mix_channels(x), state


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab, cfg.d_model)
        self.layers = nn.ModuleList(Layer(cfg, i) for i in range(cfg.layers))
        self.norm = lfnn.RMSNorm(cfg.d_model, gain=False)

    def logits(self, h):
        return F.linear(self.norm(h), self.embed.weight)  # tied output projection

    def init_(self, seed=0):
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in self.named_parameters():
                std = 1.0 if "embed" in name else p.shape[-1] ** -0.5
                p.copy_(torch.randn(p.shape, generator=g) * std)
        return self


class Prefill(nn.Module):
    """tokens [B, N] (int64) -> (logits of the last position [B, vocab], states...)."""

    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, tokens):
        x = self.decoder.embed(tokens)
        states = []
        for layer in self.decoder.layers:
            x, s = layer(x)
            states.append(s)
        return (self.decoder.logits(x[:, -1]), *states)


class DecodeStep(nn.Module):
    """token [B, 1] (int64), states... -> (logits [B, vocab], new states...)."""

    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, token, *states):
        x = self.decoder.embed(token)
        new = []
        for layer, s in zip(self.decoder.layers, states):
            x, s = layer.step(x, s)
            new.append(s)
        return (self.decoder.logits(x[:, 0]), *new)
