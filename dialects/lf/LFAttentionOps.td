//===- LFAttentionOps.td - lf attention ops ----------------*- tablegen -*-===//
//
// Part of lightfuse. Included by LFOps.td, which defines LF_Op.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_DIALECTS_LF_LFATTENTIONOPS_TD
#define LIGHTFUSE_DIALECTS_LF_LFATTENTIONOPS_TD

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def LF_LinearAttentionOp : LF_Op<"linear_attention", [
    InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "linear attention with optional per-head exponential decay (TransNormerLLM)";
  let description = [{
    Per batch `b` and head `h`, with `q, k: [B, H, N, Dk]`, `v: [B, H, N, Dv]`
    and `phi` the `feature_map` applied to `q` and `k`:

    ```
    causal:     o[t] = sum_{s <= t} lambda^(t - s) * (phi(q[t]) . phi(k[s])) * v[s]
    non-causal: O    = phi(Q) @ (phi(K)^T @ V)                 (no decay)
    ```

    There is no softmax, no `1/sqrt(d)` scale and no denominator. The
    optional `decay` operand holds the decay *rates* `s = -log(lambda) >= 0`,
    in `f32`: shape `[H]` for one rate per head (TransNormerLLM's ALiBi-style
    slopes) or `[H, Dk]` for one rate per head and key channel, in which case
    the decay acts on each key channel of the state separately. Without it
    `lambda = 1`. Kernels only ever evaluate `exp(-s * k)` for small `k`,
    never `lambda^t` for an absolute position. A decay requires `causal`.

    With `return_state`, a second result holds the recurrent state after the
    last token, `S = sum_s lambda^(n-1-s) phi(k[s])^T v[s]` of shape
    `[B, H, Dk, Dv]` in `f32`: exactly the state that `lf.linear_attention_step`
    consumes, so prefill hands over to decoding.

    Example:

    ```mlir
    %o, %S = lf.linear_attention %q, %k, %v decay(%s : tensor<8xf32>)
               {feature_map = #lf.feature_map<silu>, return_state}
               : tensor<1x8x?x64xf32>, tensor<1x8x?x64xf32>, tensor<1x8x?x64xf32>
               -> tensor<1x8x?x64xf32>, tensor<1x8x64x64xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$query, LF_Tensor:$key, LF_Tensor:$value,
                       Optional<LF_F32Tensor>:$decay,
                       DefaultValuedAttr<BoolAttr, "true">:$causal,
                       DefaultValuedAttr<LF_FeatureMapAttr,
                         "::mlir::lf::FeatureMap::identity">:$feature_map,
                       UnitAttr:$return_state);
  let results = (outs LF_Tensor:$output, Optional<LF_F32Tensor>:$final_state);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`decay` `(` $decay^ `:` type($decay) `)`)?
      attr-dict `:` type($query) `,` type($key) `,` type($value)
      `->` type(results)
  }];
  let hasVerifier = 1;
}

def LF_NormAttentionOp : LF_Op<"norm_attention", [AttrSizedOperandSegments]> {
  let summary = "NormAttention with the output gate: u * SRMSNorm(concat_heads(linear attention))";
  let description = [{
    TransNormerLLM's token-mixer output (spec.md 4.2) as one op: causal
    linear attention per head (as `lf.linear_attention`, with the optional
    `decay` rates and the `feature_map` on `q` and `k`), the heads
    concatenated per token, the simple RMSNorm over all of them (`eps`, an
    optional `gain` over the `H * Dv` channels) and the output gate:

    ```
    o[b, h, t]  = linear_attention(q, k, v)[b, h, t]                  [B, H, N, Dv]
    c[b, t]     = concat_h o[b, h, t]                                  [B, N, H * Dv]
    out[b, t]   = u[b, t] * c[b, t] * rsqrt(mean(c[b, t]^2) + eps) (* gain)
    ```

    `q, k: [B, H, N, Dk]`, `v: [B, H, N, Dv]`, `gate` (u) and the result
    `[B, N, H * Dv]`, one element type; statistics in `f32`.
    `lf-fuse-norm-attention` forms it from `lf.linear_attention`, the
    head-concatenating `linalg.transpose` + `tensor.collapse_shape`,
    `lf.rms_norm` and `lf.mul`. Lowered by expansion into those ops, or, by
    `lf-tile-linear-attention`, as the Lightning blocks writing token-major
    rows plus per-head sums of squares, and one final pass that reads the
    attention output and `u` once.

    Example:

    ```mlir
    %y = lf.norm_attention %q, %k, %v gate(%u : tensor<1x?x128xf32>)
           decay(%s : tensor<2xf32>) {feature_map = #lf.feature_map<silu>}
           : tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
           -> tensor<1x?x128xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$query, LF_Tensor:$key, LF_Tensor:$value,
                       LF_Tensor:$gate,
                       Optional<LF_F32Tensor>:$decay,
                       Optional<LF_Tensor>:$gain,
                       DefaultValuedAttr<F32Attr, "1.0e-6">:$eps,
                       DefaultValuedAttr<LF_FeatureMapAttr,
                         "::mlir::lf::FeatureMap::identity">:$feature_map);
  let results = (outs LF_Tensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value `gate` `(` $gate `:` type($gate) `)`
      (`decay` `(` $decay^ `:` type($decay) `)`)?
      (`gain` `(` $gain^ `:` type($gain) `)`)?
      attr-dict `:` type($query) `,` type($key) `,` type($value)
      `->` type($output)
  }];
  let hasVerifier = 1;
}

def LF_LinearAttentionStepOp : LF_Op<"linear_attention_step", [
    InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "one recurrent decode step of decayed linear attention";
  let description = [{
    The recurrent form of `lf.linear_attention` for one new token. With
    `q, k: [B, H, Dk]`, `v: [B, H, Dv]`, the state `[B, H, Dk, Dv]` in `f32`
    and `lambda = exp(-decay)`:

    ```
    S'  = lambda * S + phi(k)^T v          (per key channel when decay is [H, Dk])
    o   = phi(q) @ S'
    ```

    It returns `o` (`[B, H, Dv]`, the storage type of `q`) and the new state
    `S'`. Its cost is `O(Dk * Dv)` per (batch, head), independent of the
    number of tokens already seen.

    Example:

    ```mlir
    %o, %S1 = lf.linear_attention_step %q, %k, %v, %S0 decay(%s : tensor<8xf32>)
                : tensor<1x8x64xf32>, tensor<1x8x64xf32>, tensor<1x8x64xf32>,
                  tensor<1x8x64x64xf32> -> tensor<1x8x64xf32>, tensor<1x8x64x64xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$query, LF_Tensor:$key, LF_Tensor:$value,
                       LF_F32Tensor:$state,
                       Optional<LF_F32Tensor>:$decay,
                       DefaultValuedAttr<LF_FeatureMapAttr,
                         "::mlir::lf::FeatureMap::identity">:$feature_map);
  let results = (outs LF_Tensor:$output, LF_F32Tensor:$new_state);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $state
      (`decay` `(` $decay^ `:` type($decay) `)`)?
      attr-dict `:` type($query) `,` type($key) `,` type($value) `,`
      type($state) `->` type($output) `,` type($new_state)
  }];
  let hasVerifier = 1;
}

def LF_SoftplusAttentionOp : LF_Op<"softplus_attention", [
    InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "softplus attention with length scaling and re-weighting (LSSA/LSSAR)";
  let description = [{
    Softmax replaced by an l1-normalized softplus, with `q, k: [B, H, N, Dk]`,
    `v: [B, H, M, Dv]`:

    ```
    c(n_t)  = log(n_t) / log(train_length) when train_length is set, else 1
              (n_t = number of keys visible to query t)
    A[t, s] = softplus(c(n_t) * scale * q[t] . k[s])  for visible s, else 0
    A'[t,s] = A[t, s]^p / sum_s' A[t, s']^p          (p = reweight_power)
    O       = A' @ V
    ```

    `scale` defaults to `1/sqrt(Dk)`; `reweight_power` defaults to 1 (plain
    LSSA). The paper's exact length scale and re-weighting function are
    unverified (see spec.md 5.8): lightfuse fixes the forms above, a
    log-length scale and a power re-weighting, and documents them as its own.

    ```mlir
    %o = lf.softplus_attention %q, %k, %v {train_length = 2048 : i64, reweight_power = 2.0 : f32}
           : tensor<1x8x?x64xf32>, tensor<1x8x?x64xf32>, tensor<1x8x?x64xf32>
           -> tensor<1x8x?x64xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$query, LF_Tensor:$key, LF_Tensor:$value,
                       DefaultValuedAttr<BoolAttr, "true">:$causal,
                       OptionalAttr<F32Attr>:$scale,
                       OptionalAttr<I64Attr>:$train_length,
                       DefaultValuedAttr<F32Attr, "1.0">:$reweight_power);
  let results = (outs LF_Tensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value attr-dict `:` type($query) `,` type($key) `,`
      type($value) `->` type($output)
  }];
  let hasVerifier = 1;
}

def LF_SigmoidAttentionOp : LF_Op<"sigmoid_attention", [
    InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "sigmoid attention, with or without row normalization";
  let description = [{
    With `q, k: [B, H, N, Dk]` and `v: [B, H, M, Dv]`:

    ```
    A[t, s] = sigmoid(scale * q[t] . k[s])  for visible s (s <= t when causal), else 0
    O[t]    = sum_s A[t, s] v[s]                      (normalize = false)
    O[t]    = sum_s A[t, s] v[s] / (sum_s A[t, s] + 1e-8)   (normalize = true)
    ```

    `scale` defaults to `1/sqrt(Dk)`. The mask is a 0/1 multiply after the
    sigmoid. The unnormalized output grows with `t`; it accumulates in `f32`.

    ```mlir
    %o = lf.sigmoid_attention %q, %k, %v
           : tensor<2x4x128x32xf32>, tensor<2x4x128x32xf32>, tensor<2x4x128x32xf32>
           -> tensor<2x4x128x32xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$query, LF_Tensor:$key, LF_Tensor:$value,
                       DefaultValuedAttr<BoolAttr, "true">:$causal,
                       OptionalAttr<F32Attr>:$scale,
                       DefaultValuedAttr<BoolAttr, "false">:$normalize);
  let results = (outs LF_Tensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value attr-dict `:` type($query) `,` type($key) `,`
      type($value) `->` type($output)
  }];
  let hasVerifier = 1;
}

def LF_FlowAttentionOp : LF_Op<"flow_attention", [
    InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Flow-Attention (Flowformer), causal or not, in linear time";
  let description = [{
    Flowformer's flow-conserving linear attention with sigmoid features, for
    `q: [B, H, N, Dk]`, `k: [B, H, M, Dk]`, `v: [B, H, M, Dv]` (causal needs
    `N = M`). Non-causal form, with `Qp = sigmoid(Q)`, `Kp = sigmoid(K)`:

    ```
    I[t]   = 1 / ((Qp[t]+eps) . (sum_s Kp[s] + eps))
    Out[s] = 1 / ((Kp[s]+eps) . (sum_t Qp[t] + eps))
    Ic[t]  = (Qp[t]+eps) . (sum_s Kp[s] Out[s] + eps)
    Oc[s]  = clamp((Kp[s]+eps) . (sum_t Qp[t] I[t] + eps), -1, 1)
    O[t]   = sigmoid(Ic[t] N/M) * (Qp[t] I[t]) @ (Kp^T @ (V * softmax(Oc) M))
    ```

    The causal form replaces every sum by a prefix sum and normalizes by the
    prefix length (spec.md 5.6). `eps` defaults to `1e-6`.

    ```mlir
    %o = lf.flow_attention %q, %k, %v {causal = false}
           : tensor<1x8x?x64xf32>, tensor<1x8x?x64xf32>, tensor<1x8x?x64xf32>
           -> tensor<1x8x?x64xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$query, LF_Tensor:$key, LF_Tensor:$value,
                       DefaultValuedAttr<BoolAttr, "true">:$causal,
                       DefaultValuedAttr<F32Attr, "1.0e-6">:$eps);
  let results = (outs LF_Tensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value attr-dict `:` type($query) `,` type($key) `,`
      type($value) `->` type($output)
  }];
  let hasVerifier = 1;
}


def LF_LRPEOp : LF_Op<"lrpe", [InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "LRPE: linearized relative positional encoding of queries or keys";
  let description = [{
    spec.md 5.3 (TransNormerLLM). For `input` `x: [B, H, N, Dh]` and angles
    `theta: [H, Dh]` (f32), at position `p = offset + n`:

    ```
    y[b, h, n] = concat(x * cos(theta[h] p), x * sin(theta[h] p))   width 2 Dh
    ```

    so that `y_q[t] . y_k[s] = sum_j q_j k_j cos(theta_j (t - s))` depends
    only on `t - s`. `offset` (optional, one f32 element holding an integer,
    exact below 2^24) is the cache position of the first row: 0 for a
    prefill, the running position for a decode step. The angle is formed in
    f64 and reduced modulo 2 pi, so its phase stays exact for large
    positions; the products are f32.

    ```mlir
    %qe = lf.lrpe %q, %theta : tensor<1x8x?x64xf32>, tensor<8x64xf32> -> tensor<1x8x?x128xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$input, LF_F32Tensor:$theta,
                       Optional<LF_F32Tensor>:$offset);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $theta (`offset` `(` $offset^ `:` type($offset) `)`)? attr-dict
      `:` type($input) `,` type($theta) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // LIGHTFUSE_DIALECTS_LF_LFATTENTIONOPS_TD
