//===- LFOps.td - lf dialect operations --------------------*- tablegen -*-===//
//
// Part of lightfuse. The single source of truth for the ops of the `lf`
// dialect: operands, attributes, defaults, assembly formats and docs.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_DIALECTS_LF_LFOPS_TD
#define LIGHTFUSE_DIALECTS_LF_LFOPS_TD

include "dialects/lf/LFBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

class LF_Op<string mnemonic, list<Trait> traits = []>
    : Op<LF_Dialect, mnemonic, !listconcat(traits, [Pure])>;

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

def LF_LayerNormOp : LF_Op<"layer_norm", [
    AttrSizedOperandSegments, AllTypesMatch<["input", "result"]>]> {
  let summary = "layer normalization over the last dimension";
  let description = [{
    Normalizes every row of `input` (all leading dimensions are rows, the last
    dimension `d` is normalized) to zero mean and unit variance, then applies
    the optional per-feature `gain` and `bias` and the optional scalar `scale`:

    ```
    mu  = mean_i(x)
    var = mean_i((x - mu)^2)                       (biased, two-pass)
    y   = (x - mu) * rsqrt(var + eps) * gain + bias  (* scale when present)
    ```

    `gain` and `bias` have shape `[d]`; an absent gain is 1 and an absent bias
    is 0. `scale` is LayerNorm Scaling's depth factor `1/sqrt(l)` (Curse of
    Depth): it multiplies the whole output. The statistics are computed in
    `f32` for every storage type. `eps` defaults to PyTorch's `1e-5`.

    Example:

    ```mlir
    %y = lf.layer_norm %x gain(%g : tensor<768xf32>) bias(%b : tensor<768xf32>)
           {eps = 1.0e-05 : f32} : tensor<?x768xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$input,
                       Optional<LF_Tensor>:$gain,
                       Optional<LF_Tensor>:$bias,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$eps,
                       OptionalAttr<F32Attr>:$scale);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $input (`gain` `(` $gain^ `:` type($gain) `)`)?
           (`bias` `(` $bias^ `:` type($bias) `)`)?
    attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def LF_RMSNormOp : LF_Op<"rms_norm", [AllTypesMatch<["input", "result"]>]> {
  let summary = "RMS normalization over the last dimension (SimpleRMSNorm without gain)";
  let description = [{
    Scales every row of `input` by the reciprocal of its root mean square:

    ```
    y = x * rsqrt(mean_i(x^2) + eps) * gain        (* scale when present)
    ```

    With `gain` (shape `[d]`) this is the reference RMSNorm of LLaMA, Mix-LN
    and LayerNorm Scaling; without it it is TransNormerLLM's SimpleRMSNorm
    (SRMSNorm), which has no parameters. `eps` defaults to `1e-6`. The
    optional `scale` is LayerNorm Scaling's `1/sqrt(l)`. The sum of squares
    is accumulated in `f32` (in `f16`, `x^2` overflows once `|x| > 256`).

    Example:

    ```mlir
    %y = lf.rms_norm %x gain(%g : tensor<4096xbf16>) : tensor<1x?x4096xbf16>
    %z = lf.rms_norm %x : tensor<1x?x4096xbf16>   // SimpleRMSNorm
    ```
  }];
  let arguments = (ins LF_Tensor:$input,
                       Optional<LF_Tensor>:$gain,
                       DefaultValuedAttr<F32Attr, "1.0e-6">:$eps,
                       OptionalAttr<F32Attr>:$scale);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $input (`gain` `(` $gain^ `:` type($gain) `)`)? attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def LF_CRMSNormOp : LF_Op<"crms_norm", [AllTypesMatch<["input", "result"]>]> {
  let summary = "compressed RMS normalization of a zero-mean vector stored without its last entry";
  let description = [{
    A zero-mean vector `x'` of width `d` is fixed by its first `d - 1`
    entries, since `x'[d-1] = -sum_{i<d-1} x'[i]`. CRMSNorm takes that
    compressed form `z` (last dimension `d - 1`) and returns the first `d - 1`
    entries of `RMSNorm(x')`:

    ```
    d = size(z, -1) + 1
    y = z * rsqrt((sum_i z^2 + (sum_i z)^2) / d + eps)      (* gain when present)
    ```

    The result is still the compressed form of a zero-mean vector. Both sums
    are accumulated in `f32` and are non-negative, so nothing cancels.

    Example:

    ```mlir
    %y = lf.crms_norm %z {eps = 1.0e-06 : f32} : tensor<8x767xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$input,
                       Optional<LF_Tensor>:$gain,
                       DefaultValuedAttr<F32Attr, "1.0e-6">:$eps);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $input (`gain` `(` $gain^ `:` type($gain) `)`)? attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def LF_BatchNormOp : LF_Op<"batch_norm", [
    AttrSizedOperandSegments, AllTypesMatch<["input", "result"]>]> {
  let summary = "batch normalization, inference form (running statistics)";
  let description = [{
    Normalizes along the channel axis `axis` with fixed running statistics:

    ```
    a[c] = gain[c] * rsqrt(running_var[c] + eps)
    y    = (x - running_mean[c]) * a[c] + bias[c]
    ```

    `running_mean`, `running_var`, `gain` and `bias` have shape `[C]` where
    `C = size(x, axis)`. `axis` may be negative (counted from the end) and
    defaults to `-1`, the channel-last layout of token streams `[B, N, C]`;
    use `axis = 1` for NCHW. `eps` defaults to `1e-5`. This op is a
    per-channel affine and folds completely into an adjacent `lf.linear`.

    Example:

    ```mlir
    %y = lf.batch_norm %x, %mean, %var gain(%g : tensor<64xf32>)
           bias(%b : tensor<64xf32>) {axis = 1 : i64}
           : tensor<8x64x32x32xf32>, tensor<64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$input, LF_Tensor:$running_mean,
                       LF_Tensor:$running_var,
                       Optional<LF_Tensor>:$gain,
                       Optional<LF_Tensor>:$bias,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$eps,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $running_mean `,` $running_var
      (`gain` `(` $gain^ `:` type($gain) `)`)?
      (`bias` `(` $bias^ `:` type($bias) `)`)?
    attr-dict `:` type($input) `,` type($running_mean) `,` type($running_var)
  }];
  let hasVerifier = 1;
}

def LF_PowerNormOp : LF_Op<"power_norm", [
    AttrSizedOperandSegments, AllTypesMatch<["input", "result"]>]> {
  let summary = "PowerNorm, inference form (group scaling, then running quadratic mean)";
  let description = [{
    The two stages of the released PowerNorm, along channel axis `axis`
    (default `-1`, the fairseq layout `[T, B, C]`):

    ```
    stage 1, per token, G = groups, Cg = C / G, j = group of channel c:
      x1[c] = x[c] * rsqrt(mean_{c' in group j}(x[c']^2) + group_eps)
    stage 2, per channel:
      y[c]  = gain[c] * x1[c] * rsqrt(running_qm[c] + eps) + bias[c]
    ```

    `running_qm` (the running quadratic mean psi), `gain` and `bias` have
    shape `[C]`; each is optional (absent: psi term, gain 1, bias 0), so
    without all three the op is stage 1 alone, the group scaling.
    `groups` (the attention head count in fairseq) must divide `C`. Stage 1
    depends on the data; stage 2 is a per-channel affine that
    `lf-fold-norm-into-linear` moves into the following linear. `eps` and
    `group_eps` default to `1e-5`.

    Example:

    ```mlir
    %y = lf.power_norm %x running_qm(%psi : tensor<512xf32>)
           gain(%g : tensor<512xf32>) {groups = 8 : i64} : tensor<?x4x512xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$input, Optional<LF_Tensor>:$running_qm,
                       Optional<LF_Tensor>:$gain,
                       Optional<LF_Tensor>:$bias,
                       DefaultValuedAttr<I64Attr, "1">:$groups,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$eps,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$group_eps,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $input (`running_qm` `(` $running_qm^ `:` type($running_qm) `)`)?
      (`gain` `(` $gain^ `:` type($gain) `)`)?
      (`bias` `(` $bias^ `:` type($bias) `)`)?
    attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def LF_UnifiedNormOp : LF_Op<"unified_norm", [
    AttrSizedOperandSegments, AllTypesMatch<["input", "result"]>]> {
  let summary = "Unified Normalization, inference form";
  let description = [{
    Per-channel scaling by a running quadratic mean (no mean subtraction),
    along channel axis `axis` (default `-1`, the layout `[B, N, C]`):

    ```
    y[c] = gain[c] * x[c] * rsqrt(running_qm[c] + eps) + bias[c]
    ```

    `running_qm`, `gain` and `bias` have shape `[C]`; `eps` defaults to
    `1e-5`. The op is a per-channel affine and folds completely into an
    adjacent linear.

    Example:

    ```mlir
    %y = lf.unified_norm %x, %qm bias(%b : tensor<384xf16>)
           : tensor<2x197x384xf16>, tensor<384xf16>
    ```
  }];
  let arguments = (ins LF_Tensor:$input, LF_Tensor:$running_qm,
                       Optional<LF_Tensor>:$gain,
                       Optional<LF_Tensor>:$bias,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$eps,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $running_qm
      (`gain` `(` $gain^ `:` type($gain) `)`)?
      (`bias` `(` $bias^ `:` type($bias) `)`)?
    attr-dict `:` type($input) `,` type($running_qm)
  }];
  let hasVerifier = 1;
}

def LF_EvoNormB0Op : LF_Op<"evonorm_b0", [AllTypesMatch<["input", "result"]>,
    AllTypesMatch<["v", "gain", "bias", "running_var"]>]> {
  let summary = "EvoNorm-B0, inference form";
  let description = [{
    For an input `[N, C, spatial...]` (batch is dimension 0, channels are
    `axis`, default `1`; every other dimension is spatial):

    ```
    batch_std[c]   = sqrt(running_var[c] + eps)
    inst_std[n, c] = sqrt(var over spatial of x[n, c] + eps)      (biased)
    y = x / max(batch_std[c], v[c] * x + inst_std[n, c]) * gain[c] + bias[c]
    ```

    `v`, `gain`, `bias` and `running_var` have shape `[C]`; `eps` defaults to
    `1e-5`. The denominator is at least `sqrt(eps)`. The op is not an affine
    of its input; only `gain` and `bias` fold.

    Example:

    ```mlir
    %y = lf.evonorm_b0 %x, %v, %gain, %bias, %var
           : tensor<8x64x14x14xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$input, LF_Tensor:$v, LF_Tensor:$gain,
                       LF_Tensor:$bias, LF_Tensor:$running_var,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$eps,
                       DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $v `,` $gain `,` $bias `,` $running_var attr-dict
      `:` type($input) `,` type($v)
  }];
  let hasVerifier = 1;
}

def LF_EvoNormS0Op : LF_Op<"evonorm_s0", [AllTypesMatch<["input", "result"]>,
    AllTypesMatch<["v", "gain", "bias"]>]> {
  let summary = "EvoNorm-S0 (batch-independent)";
  let description = [{
    For an input `[N, C, spatial...]` (channels on `axis`, default `1`) with
    the channels split into `groups` contiguous groups:

    ```
    group_std[n, j] = sqrt(var over (channels of group j, spatial) of x[n] + eps)
    y = x * sigmoid(v[c] * x) / group_std[n, group(c)] * gain[c] + bias[c]
    ```

    The variance is of the raw `x`. `v`, `gain` and `bias` have shape `[C]`.
    `groups` (default `32`, as in the paper) must divide `C`; pick the largest
    divisor of `C` not above 32 when converting a model. `eps` defaults to
    `1e-5`. Training and inference compute the same thing.

    Example:

    ```mlir
    %y = lf.evonorm_s0 %x, %v, %gain, %bias {groups = 8 : i64}
           : tensor<8x64x14x14xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$input, LF_Tensor:$v, LF_Tensor:$gain,
                       LF_Tensor:$bias,
                       DefaultValuedAttr<I64Attr, "32">:$groups,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$eps,
                       DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $v `,` $gain `,` $bias attr-dict `:` type($input) `,` type($v)
  }];
  let hasVerifier = 1;
}

def LF_ChannelAffineOp : LF_Op<"channel_affine", [
    AllTypesMatch<["input", "result"]>, AllTypesMatch<["scale", "shift"]>]> {
  let summary = "per-channel affine x * scale + shift";
  let description = [{
    The canonical form every inference-time per-channel normalization reduces
    to (BatchNorm, Unified Norm, PowerNorm's second stage, norm gains and
    biases, LayerNorm Scaling):

    ```
    y[..., c, ...] = x[..., c, ...] * scale[c] + shift[c]       c indexes `axis`
    ```

    `scale` and `shift` have shape `[C]`, `C = size(x, axis)`; `axis` may be
    negative and defaults to `-1`. It folds to `input` when `scale` is all
    ones and `shift` all zeros.

    Example:

    ```mlir
    %y = lf.channel_affine %x, %s, %t : tensor<?x768xf32>, tensor<768xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$input, LF_Tensor:$scale, LF_Tensor:$shift,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $shift attr-dict `:` type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def LF_ResidualNormOp : LF_Op<"residual_norm", [
    AttrSizedOperandSegments,
    AllTypesMatch<["input", "residual", "sum", "result"]>]> {
  let summary = "fused residual add and normalization, returning both";
  let description = [{
    The residual add of a transformer block followed by the norm that reads
    it, as one op that reads the stream once:

    ```
    sum    = input + residual
    result = layer_norm(sum)  or  rms_norm(sum)      (kind)
             with the optional gain, bias (layer only), eps and scale
    ```

    Both values are results: Pre-LN and Peri-LN blocks carry `sum` on as the
    residual stream, Post-LN blocks use `result`. `lf-fuse-residual-norm`
    forms it from `lf.add` followed by `lf.layer_norm` or `lf.rms_norm`.
    `eps` has no default: the fusion copies the norm's.

    ```mlir
    %s, %y = lf.residual_norm rms %x, %o gain(%g : tensor<4096xbf16>)
               {eps = 1.0e-06 : f32} : tensor<?x4096xbf16>
    ```
  }];
  let arguments = (ins LF_NormKindAttr:$kind, LF_Tensor:$input,
                       LF_Tensor:$residual,
                       Optional<LF_Tensor>:$gain,
                       Optional<LF_Tensor>:$bias,
                       F32Attr:$eps,
                       OptionalAttr<F32Attr>:$scale);
  let results = (outs LF_Tensor:$sum, LF_Tensor:$result);
  let assemblyFormat = [{
    $kind $input `,` $residual
      (`gain` `(` $gain^ `:` type($gain) `)`)?
      (`bias` `(` $bias^ `:` type($bias) `)`)?
    attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear and elementwise
//===----------------------------------------------------------------------===//

def LF_LinearOp : LF_Op<"linear", [InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "x @ W^T + bias over the last dimension";
  let description = [{
    PyTorch's `nn.Linear`: `input` is `[..., K]`, `weight` is `[N, K]`
    (`[out, in]`), the optional `bias` is `[N]`, and the result is `[..., N]`:

    ```
    y[..., n] = sum_k x[..., k] * W[n, k] + bias[n]
    ```

    The product accumulates in `f32` for every storage type.

    Example:

    ```mlir
    %y = lf.linear %x, %w bias(%b : tensor<3072xf32>)
           : tensor<?x768xf32>, tensor<3072x768xf32> -> tensor<?x3072xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$input, LF_Tensor:$weight,
                       Optional<LF_Tensor>:$bias);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `:` type($bias) `)`)? attr-dict
      `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def LF_AddOp : LF_Op<"add", [SameOperandsAndResultType, Commutative]> {
  let summary = "elementwise sum (the residual add)";
  let description = [{
    `lhs + rhs`, elementwise, on operands of one type. This is the residual
    add that the fusion passes merge with the norm that follows it.

    ```mlir
    %s = lf.add %x, %o : tensor<?x768xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$lhs, LF_Tensor:$rhs);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def LF_MulOp : LF_Op<"mul", [SameOperandsAndResultType, Commutative]> {
  let summary = "elementwise product (gates)";
  let description = [{
    `lhs * rhs`, elementwise, on operands of one type; for instance the
    output gate `u * SRMSNorm(o)` of NormAttention. Multiplying by a constant
    splat of one folds away.

    ```mlir
    %g = lf.mul %u, %o : tensor<?x1024xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$lhs, LF_Tensor:$rhs);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
  let hasFolder = 1;
}

def LF_NormLinearOp : LF_Op<"norm_linear", [InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "a gain-free norm applied in the prologue of a linear";
  let description = [{
    `lf.linear(norm(input), weight, bias)` where `norm` is the affine-free
    LayerNorm (`kind = layer`) or RMSNorm (`kind = rms`) over the last
    dimension, computed without materializing the normalized tensor:

    ```
    rms:    y[m, n] = rstd[m] * sum_k x[m, k] * W[n, k] + bias[n]
    layer:  y[m, n] = rstd[m] * sum_k (x[m, k] - mu[m]) * W[n, k] + bias[n]
    ```

    The row statistics `mu` and `rstd` (in `f32`, LayerNorm's shifted
    two-pass form) are computed once per row, the centring happens as the
    rows are loaded into the contraction, and `rstd` is applied in the
    epilogue. Formed by `lf-fuse-norm-linear` after the norm's gain and bias
    have been folded into the linears (`lf-fold-norm-into-linear`); two
    `lf.norm_linear` ops reading the same input share their statistics after
    CSE.

    ```mlir
    %y = lf.norm_linear rms %x, %w bias(%b : tensor<3072xf32>) {eps = 1.0e-06 : f32}
           : tensor<?x768xf32>, tensor<3072x768xf32> -> tensor<?x3072xf32>
    ```
  }];
  let arguments = (ins LF_NormKindAttr:$kind, LF_Tensor:$input,
                       LF_Tensor:$weight, Optional<LF_Tensor>:$bias,
                       F32Attr:$eps);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $kind $input `,` $weight (`bias` `(` $bias^ `:` type($bias) `)`)? attr-dict
      `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def LF_RecenterOp : LF_Op<"recenter", [AllTypesMatch<["input", "result"]>]> {
  let summary = "subtract the mean along one axis";
  let description = [{
    `y = x - mean(x, axis)`, the projector `P = I - (1/d) 1 1^T` of OPS.md
    section 3.4 applied along `axis` (default `-1`). The mean is accumulated
    in `f32`. `lf-layernorm-to-rmsnorm` uses it to make the writers of a
    residual stream zero-mean when their weights are not constants: on a
    linear's weight `[out, in]` along axis 0 (the output axis), on a bias or
    an input stream along its last axis.

    ```mlir
    %w0 = lf.recenter %w {axis = 0 : i64} : tensor<768x3072xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Weight reparameterizations (OPS.md section 6)
//===----------------------------------------------------------------------===//

def LF_SigmaReparamOp : LF_Op<"sigma_reparam", [AllTypesMatch<["weight", "result"]>]> {
  let summary = "sigmaReparam: W * gamma / sigma(W)";
  let description = [{
    The spectrally reparameterized weight of sigmaReparam (OPS.md 6.1) for a
    linear weight `[out, in]`:

    ```
    W_hat = (gamma / sigma(W)) * W
    ```

    With `u` (shape `[in]`, the stored power-iteration vector) `sigma` is the
    reference's evaluation-mode estimate, one power-iteration step that does
    not update `u`:

    ```
    v = normalize(W u);  u' = normalize(W^T v);  sigma = v . (W u')
    ```

    (`normalize(x) = x / max(||x||, 1e-12)`, as `torch.nn.functional.normalize`).
    Without `u`, `sigma` is the largest singular value of `W`, which
    `lf-fold-weight-reparam` computes by power iteration to its `tolerance`
    at compile time; that form needs a constant `W`. `gamma` holds one
    element (shape `[]` or `[1]`). All arithmetic is in `f32` at run time
    and `f64` when folded.

    ```mlir
    %wh = lf.sigma_reparam %w, %gamma u(%u : tensor<768xf32>)
            : tensor<3072x768xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins LF_Tensor:$weight, LF_Tensor:$gamma,
                       Optional<LF_Tensor>:$u);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $weight `,` $gamma (`u` `(` $u^ `:` type($u) `)`)? attr-dict `:`
      type($weight) `,` type($gamma)
  }];
  let hasVerifier = 1;
}

def LF_WeightStandardizeOp : LF_Op<"weight_standardize", [
    AllTypesMatch<["weight", "result"]>]> {
  let summary = "Scaled Weight Standardization (NF-Nets, FedWon)";
  let description = [{
    Standardizes every output slice `W[o, ...]` of a weight of rank >= 2
    (a linear's `[out, in]` or a convolution's `[out, in/groups, kh, kw]`)
    over its fan-in `F` (the product of all but the first dimension):

    ```
    W_hat[o, :] = gain[o] * gamma / sqrt(F) * (W[o, :] - mean(W[o, :]))
                  * rsqrt(var(W[o, :]) + eps)                  (biased var)
    ```

    `gain` (shape `[out]`) is optional (1); `gamma` is the activation's
    constant (default 1); `eps` defaults to timm's `1e-6`.

    ```mlir
    %wh = lf.weight_standardize %w gain(%g : tensor<256xf32>)
            {gamma = 1.7139 : f32} : tensor<256x768xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$weight, Optional<LF_Tensor>:$gain,
                       DefaultValuedAttr<F32Attr, "1.0">:$gamma,
                       DefaultValuedAttr<F32Attr, "1.0e-6">:$eps);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $weight (`gain` `(` $gain^ `:` type($gain) `)`)? attr-dict `:` type($weight)
  }];
  let hasVerifier = 1;
}

def LF_WeightCompandOp : LF_Op<"weight_compand", [
    AllTypesMatch<["weight", "result"]>]> {
  let summary = "weight compander: an odd, monotone elementwise map";
  let description = [{
    The Weight Compander (OPS.md 6.3) applies an odd, monotone `f` to every
    weight, compressing large magnitudes and pushing small ones away from
    zero. The paper's exact `f` is unverified (only its abstract was
    available); this op implements the power compander

    ```
    W_hat = sign(W) * |W|^exponent          0 < exponent <= 1
    ```

    which has both properties for `exponent < 1` (and is the identity at 1).

    ```mlir
    %wh = lf.weight_compand %w {exponent = 0.5 : f32} : tensor<768x768xf32>
    ```
  }];
  let arguments = (ins LF_Tensor:$weight,
                       DefaultValuedAttr<F32Attr, "0.5">:$exponent);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = "$weight attr-dict `:` type($weight)";
  let hasVerifier = 1;
}

def LF_ActivationOp : LF_Op<"activation", [
    AllTypesMatch<["input", "result"]>]> {
  let summary = "elementwise activation function";
  let description = [{
    Applies `kind` elementwise:

    | kind | definition |
    |------|------------|
    | `identity` | `x` (folds away) |
    | `relu` | `max(x, 0)` |
    | `gelu` | `x * Phi(x)` with the exact normal CDF (`erf`) |
    | `gelu_tanh` | `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` |
    | `silu` | `x * sigmoid(x)` |
    | `sigmoid` | `1 / (1 + exp(-x))`, evaluated stably |
    | `softplus` | `max(x, 0) + log1p(exp(-abs(x)))` |
    | `elu_plus_one` | `elu(x) + 1`: `x + 1` for `x > 0`, else `exp(x)` |

    ```mlir
    %y = lf.activation silu %x : tensor<?x4096xbf16>
    ```
  }];
  let arguments = (ins LF_ActivationKindAttr:$kind, LF_Tensor:$input);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($input)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Gates
//===----------------------------------------------------------------------===//

def LF_GluOp : LF_Op<"glu", [SameOperandsAndResultType]> {
  let summary = "gated linear unit act(gate) * up";
  let description = [{
    The GLU family, on the two projections of one input:

    ```
    y = act(gate) * up
    ```

    `activation` selects the member: `none` is TransNormerLLM's SGLU (no
    activation, `(x W1^T) * (x W2^T)`), `sigmoid` the original GLU, `silu`
    SwiGLU, `gelu` GeGLU, `relu` ReGLU.

    ```mlir
    %h = lf.glu silu %a, %b : tensor<?x11008xf16>
    ```
  }];
  let arguments = (ins LF_GluActivationAttr:$activation, LF_Tensor:$gate,
                       LF_Tensor:$up);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = "$activation $gate `,` $up attr-dict `:` type($result)";
}

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
    TransNormerLLM's token-mixer output (OPS.md 4.2) as one op: causal
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
    unverified (see OPS.md 5.8): lightfuse fixes the forms above, a
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
    prefix length (OPS.md 5.6). `eps` defaults to `1e-6`.

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
    OPS.md 5.3 (TransNormerLLM). For `input` `x: [B, H, N, Dh]` and angles
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

//===----------------------------------------------------------------------===//
// State-space models
//===----------------------------------------------------------------------===//

def LF_DiagSSMOp : LF_Op<"diag_ssm", [
    AllTypesMatch<["input", "result"]>,
    AllTypesMatch<["log_a_real", "a_imag", "c_real", "c_imag"]>]> {
  let summary = "S4D: a diagonal state-space model over the sequence";
  let description = [{
    OPS.md section 8. Per channel `h` of `input` `u: [B, H, L]`, with `N`
    complex modes (conjugate pairs implicit, hence `2 Re`):

    ```
    dt = exp(log_dt[h]),  A[h, n] = -exp(log_a_real[h, n]) + i a_imag[h, n]
    zoh:       dA = exp(dt A),                 dB = (exp(dt A) - 1) / A
    bilinear:  dA = (1 + dt A/2)/(1 - dt A/2),  dB = dt / (1 - dt A/2)
    C = c_real + i c_imag                     (B = 1 folded into C)
    kernel:    K[h, l] = 2 Re(sum_n C dB dA^l),  y = causal_conv(u, K) + skip u
    recurrent: x_t = dA x_{t-1} + dB u_t,       y_t = 2 Re(sum_n C x_t) + skip u_t
    ```

    The two `form`s compute the same function: `kernel` evaluates `dA^l` as
    `exp(l log dA)` (never by repeated multiplication) and convolves
    directly (O(L^2) per channel: there is no FFT in the lowering yet);
    `recurrent` carries the complex state `[B, H, N]` through an `scf.for`
    (O(L)). Parameters are `f32` (`log_dt`, `skip`: `[H]`; the rest
    `[H, N]`), arithmetic is `f32` for every storage type of `u`.

    ```mlir
    %y = lf.diag_ssm kernel zoh %u, %log_dt, %log_a_re, %a_im, %c_re, %c_im
           skip(%d : tensor<64xf32>)
           : tensor<2x64x?xf32>, tensor<64xf32>, tensor<64x32xf32>
    ```
  }];
  let arguments = (ins LF_SSMFormAttr:$form,
                       LF_SSMDiscretizationAttr:$discretization,
                       LF_Tensor:$input, LF_F32Tensor:$log_dt,
                       LF_F32Tensor:$log_a_real, LF_F32Tensor:$a_imag,
                       LF_F32Tensor:$c_real, LF_F32Tensor:$c_imag,
                       Optional<LF_F32Tensor>:$skip);
  let results = (outs LF_Tensor:$result);
  let assemblyFormat = [{
    $form $discretization $input `,` $log_dt `,` $log_a_real `,` $a_imag `,`
      $c_real `,` $c_imag (`skip` `(` $skip^ `:` type($skip) `)`)? attr-dict
      `:` type($input) `,` type($log_dt) `,` type($log_a_real)
  }];
  let hasVerifier = 1;
}

#endif // LIGHTFUSE_DIALECTS_LF_LFOPS_TD
