//===- LFNormOps.td - lf normalization ops -----------------*- tablegen -*-===//
//
// Part of lightfuse. Included by LFOps.td, which defines LF_Op.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_DIALECTS_LF_LFNORMOPS_TD
#define LIGHTFUSE_DIALECTS_LF_LFNORMOPS_TD

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
    `groups` (default `32`, as in the paper) is the number of groups when it
    divides `C`; otherwise the largest divisor of `C` below it is used
    (docs/spec.md 3.10), e.g. 24 channels with the default form 24 groups and
    12 channels with `groups = 8` form 6. With a dynamic `C`, `groups` must
    divide it at run time. `eps` defaults to `1e-5`. Training and inference
    compute the same thing.

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
  let extraClassDeclaration = [{
    /// The number of groups used: `groups`, or the largest divisor of a
    /// static channel count below it.
    int64_t getEffectiveGroups();
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

#endif // LIGHTFUSE_DIALECTS_LF_LFNORMOPS_TD
