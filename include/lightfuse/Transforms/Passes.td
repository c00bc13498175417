//===- Passes.td - lf graph rewrites -----------------------*- tablegen -*-===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_TRANSFORMS_PASSES_TD
#define LIGHTFUSE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldWeightReparamPass : Pass<"lf-fold-weight-reparam", "::mlir::func::FuncOp"> {
  let summary = "Evaluate weight reparameterizations and LayerNorm Scaling at compile time";
  let description = [{
    The reparameterizations of spec.md section 6 cost nothing at inference
    once `W_eff` is computed. With constant operands this pass computes it
    in `f64` and replaces the op by an `arith.constant`:

    - `lf.sigma_reparam`: `(gamma / sigma) * W`. With `u`, sigma is the
      reference's evaluation-mode power step from `u`; without it, the
      spectral norm by power iteration on `W^T W` until sigma changes by at
      most `tolerance` (relative) between iterations, within
      `max-iterations` (else refused with a remark).
    - `lf.weight_standardize` and `lf.weight_compand`: their definitions.
    - LayerNorm Scaling: the `scale` of `lf.layer_norm`, `lf.rms_norm` and
      `lf.residual_norm` (`1/sqrt(l)`) moves into the gain (and the bias):
      `g' = g * scale`, `b' = b * scale`. A missing gain becomes a constant
      (static `d`); a non-constant gain gets a weight-side multiply, which
      `lf-hoist-weight-prep` moves out of the per-call function.

    Ops whose operands are not constants stay (they lower to run-time code,
    which `lf-hoist-weight-prep` runs once for `{lf.weight}` arguments);
    with `explain` each gets a remark saying so. A folded value that is not
    finite or loses more than `max-rel-error` in the weight's type is refused
    (unless `allow-lossy`).

    Before:

    ```mlir
    %w = arith.constant dense<...> : tensor<64x32xf32>
    %e = lf.sigma_reparam %w, %gamma : tensor<64x32xf32>, tensor<f32>
    %y = lf.rms_norm %x gain(%g : tensor<64xf32>) {scale = 0.5 : f32} : tensor<?x64xf32>
    ```

    After:

    ```mlir
    %e = arith.constant dense<...> : tensor<64x32xf32>   // W * gamma / sigma(W)
    %y = lf.rms_norm %x gain(%g2 : tensor<64xf32>) : tensor<?x64xf32>   // g2 = g * 0.5
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::lf::LFDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every candidate that is not folded">,
    Option<"tolerance", "tolerance", "double", /*default=*/"1.0e-9",
           "Relative change of sigma between power iterations at which the "
           "spectral norm is considered converged">,
    Option<"maxIterations", "max-iterations", "int64_t", /*default=*/"10000",
           "Power iterations allowed before the fold is refused">,
    Option<"allowLossy", "allow-lossy", "bool", /*default=*/"false",
           "Fold even when the folded constants lose precision or overflow">,
    Option<"maxRelError", "max-rel-error", "double", /*default=*/"1.0e-2",
           "Largest relative rounding error accepted per folded constant">
  ];
  let statistics = [
    Statistic<"numFolded", "folded", "Reparameterizations evaluated">,
    Statistic<"numScales", "scales-folded", "LayerNorm Scaling factors moved into gains">,
    Statistic<"numRefused", "refused", "Candidates left unchanged">
  ];
}

def FoldNormIntoLinearPass
    : Pass<"lf-fold-norm-into-linear", "::mlir::func::FuncOp"> {
  let summary = "Fold inference-time per-channel affines into adjacent lf.linear ops";
  let description = [{
    Every per-channel affine `y = a * x + c` along the last axis - from
    `lf.channel_affine`, `lf.batch_norm` and `lf.unified_norm` (inference
    forms), PowerNorm's second stage (running quadratic mean, gain, bias),
    and the gain, bias and LayerNorm-Scaling `scale` of `lf.layer_norm` and
    `lf.rms_norm` - is folded into linear layers
    (spec.md section 2):

    - **into the preceding linear** (F2) when the affine's input is an
      `lf.linear` with no other user: `W0'[i, :] = a[i] W0[i, :]`,
      `b0' = a * b0 + c`; the affine disappears. Pure affines only.
    - **into the following linears** (F1) when every user of the affine's
      result is the input of an `lf.linear`: `W'[o, i] = W[o, i] a[i]`,
      `b' = b + W c`, one fold per consumer. For norms, the normalization
      stays and loses its gain/bias/scale (PowerNorm keeps its stage 1).

    With constant weights and parameters (`arith.constant`) the new weights
    are computed here, in f64, and rounded once to the weight type; a fold
    whose result would overflow, become non-finite or lose more than
    `max-rel-error` relative precision in that type (a near-zero running
    variance into f16, say) is refused unless `allow-lossy` is set.
    Otherwise the weight-side arithmetic is emitted as ops on the weights
    (`lf.channel_affine`, `lf.linear` on the shift, `arith`/`math` on
    tensors), ready to be hoisted into a prepare function.

    Candidates that are not folded are left unchanged; with `explain`,
    each gets a remark saying why (another user, wrong axis, dtype,
    numerics).

    Before:

    ```mlir
    %n = lf.unified_norm %x, %qm gain(%g : tensor<64xf32>) : tensor<?x64xf32>, tensor<64xf32>
    %y = lf.linear %n, %w bias(%b : tensor<32xf32>) : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
    ```

    After (constant %qm, %g, %w, %b):

    ```mlir
    %y = lf.linear %x, %w2 bias(%b2 : tensor<32xf32>) : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::lf::LFDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every candidate that is not folded">,
    Option<"allowLossy", "allow-lossy", "bool", /*default=*/"false",
           "Fold even when the folded constants lose precision or overflow">,
    Option<"maxRelError", "max-rel-error", "double", /*default=*/"1.0e-2",
           "Largest relative rounding error accepted per folded constant">
  ];
  let statistics = [
    Statistic<"numFoldedPreceding", "folded-preceding", "Affines folded into the preceding linear">,
    Statistic<"numFoldedFollowing", "folded-following", "Affines folded into following linears">,
    Statistic<"numRefused", "refused", "Candidates left unchanged">
  ];
}

def LayerNormToRMSNormPass
    : Pass<"lf-layernorm-to-rmsnorm", "::mlir::func::FuncOp"> {
  let summary = "Rewrite Pre-LN into Pre-RMSNorm where it is exact (recentre the stream's writers)";
  let description = [{
    spec.md section 3.4. A residual stream is the set of values joined by
    residual adds (`lf.add`, the `sum` of `lf.residual_norm`). When every
    reader of a stream is a LayerNorm (`lf.layer_norm`, `lf.residual_norm
    layer`) and every writer can be made zero-mean along the last axis, the
    pass recentres the writers and replaces those LayerNorms by RMSNorms
    with the same gain and eps (a bias becomes an `lf.channel_affine` after
    the norm). Since `LN(x) = LN(P x)` and `P x` has zero mean, the result is
    the same in exact arithmetic; only rounding changes.

    Writers and how they are recentred:
    - `lf.linear`: `W' = P W` (column means over the output axis removed),
      `b' = b - mean(b)`; computed in `f64` when `W`/`b` are constants, else
      as `lf.recenter` ops on the weights (weights-only, so
      `lf-hoist-weight-prep` runs them once);
    - a dense constant (a positional embedding): rows recentred at compile
      time;
    - a function argument (the incoming stream): an `lf.recenter` is
      inserted at the entry (`center-inputs`, on by default);
    - an `lf.recenter` along the last axis: already zero-mean.

    Where exactness cannot be proved the stream is left unchanged and, with
    `explain`, a remark on its first LayerNorm says why, with a note at the
    op to blame: a raw read of the stream (a Post-LN block, the stream
    returned, a linear reading it without a norm), a reader that is not
    mean-invariant (an RMSNorm), a writer that cannot be recentred (a
    per-channel LayerScale `lf.mul` after the output linear, an activation).

    Before:

    ```mlir
    %h = lf.layer_norm %x : tensor<?x64xf32>
    %o = lf.linear %h, %w bias(%b : tensor<64xf32>) : ...
    %s = lf.add %x, %o : tensor<?x64xf32>
    %y = lf.layer_norm %s : tensor<?x64xf32>
    ```

    After:

    ```mlir
    %xc = lf.recenter %x : tensor<?x64xf32>
    %h = lf.rms_norm %xc {eps = 1.0e-05 : f32} : tensor<?x64xf32>
    %w0 = lf.recenter %w {axis = 0 : i64} : tensor<64x64xf32>
    %b0 = lf.recenter %b : tensor<64xf32>
    %o = lf.linear %h, %w0 bias(%b0 : tensor<64xf32>) : ...
    %s = lf.add %xc, %o : tensor<?x64xf32>
    %y = lf.rms_norm %s {eps = 1.0e-05 : f32} : tensor<?x64xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::lf::LFDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every stream that is not rewritten">,
    Option<"centerInputs", "center-inputs", "bool", /*default=*/"true",
           "Recentre function arguments that feed a stream (one pass over "
           "the input) instead of refusing">
  ];
  let statistics = [
    Statistic<"numNorms", "norms-rewritten", "LayerNorms replaced by RMSNorms">,
    Statistic<"numWriters", "writers-recentred", "Writers made zero-mean">,
    Statistic<"numRefused", "refused", "Streams left unchanged">
  ];
}

def RMSNormToCRMSNormPass
    : Pass<"lf-rmsnorm-to-crmsnorm", "::mlir::func::FuncOp"> {
  let summary = "Store a zero-mean residual stream compressed to d - 1 channels (CRMSNorm)";
  let description = [{
    spec.md section 3.5, on top of `lf-layernorm-to-rmsnorm`. A residual
    stream whose every writer is provably zero-mean along the last axis (a
    constant or a linear whose constant weight columns and bias have zero
    mean, within `tolerance` of their magnitude; an `lf.recenter`) and whose
    every reader is a gain-free-or-constant-gain `lf.rms_norm` feeding only
    linears with constant weights is stored without its last channel:

    ```
    writers:  W_c = W[0:d-1, :],  b_c = b[0:d-1],  constants [..., 0:d-1]
    readers:  lf.crms_norm(z) (same eps) and W_c[:, i] = W'[:, i] - W'[:, d-1]
              with W' = W diag(gain * scale)
    ```

    Exact, since `W u = sum_{i<d-1} (W[:, i] - W[:, d-1]) u[i]` for
    zero-mean `u`. Not part of `lf-optimize`: odd widths such as 767 hurt
    vectorization. Declined streams get a remark under `explain` (a writer
    not provably zero-mean, a fused `lf.residual_norm`, a reader feeding
    something other than a constant-weight linear, a dynamic width).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::lf::LFDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every stream that is not compressed">,
    Option<"tolerance", "tolerance", "double", /*default=*/"1.0e-5",
           "Largest |mean| relative to the largest |value| accepted as zero mean">
  ];
  let statistics = [
    Statistic<"numStreams", "streams-compressed", "Residual streams stored in d - 1 channels">,
    Statistic<"numRefused", "refused", "Streams left unchanged">
  ];
}

def RecomposePass : Pass<"lf-recompose", "::mlir::func::FuncOp"> {
  let summary = "Recover lf norms, activations, GLUs and biases from their decomposed forms";
  let description = [{
    Exported models spell fused operators out: torch.onnx writes a LayerNorm
    (before opset 17) as ReduceMean / Sub / Pow / ReduceMean / Add / Sqrt /
    Div, an RMSNorm as Pow / ReduceMean / Add / Sqrt / Reciprocal / Mul, SiLU
    as `x * sigmoid(x)`, GELU as `0.5 x (1 + erf(x / sqrt 2))`, a linear's
    bias as an Add after the MatMul. `lf-import-onnx` maps them node for node
    onto `linalg.reduce`, `linalg.broadcast` and `arith` / `math` on tensors;
    this pass rewrites them into the `lf` ops the folding and fusion passes
    read:

    | decomposed (row statistics over the last dimension `d`) | becomes |
    |---|---|
    | `(x - mean(x)) * rsqrt(mean((x - mean(x))^2) + eps)` (or `/ sqrt(...)`, `* 1/sqrt(...)`), then `* g`, `+ b` | `lf.layer_norm %x gain(g) bias(b) {eps}` |
    | `x * rsqrt(mean(x^2) + eps)` (same spellings), then `* g` | `lf.rms_norm %x gain(g) {eps}` |
    | `x * sigmoid(x)` | `lf.activation silu` |
    | `0.5 * x * (1 + erf(x / sqrt(2)))` | `lf.activation gelu` |
    | `lf.linear(x, W) + broadcast(b)` | `lf.linear(x, W) bias(b)` |
    | `act(lf.linear(x, W1)) * lf.linear(x, W2)` (act: silu, gelu, sigmoid, relu, or none) | `lf.glu act` |

    A mean is `linalg.reduce` (an add) over the last dimension divided by
    exactly `d` (or multiplied by `1/d`); `x^2` is `x * x` or `powf(x, 2)`;
    gain and bias are `[d]` vectors broadcast over the leading dimensions.
    The match is exact or nothing. A candidate that has the shape of a norm
    but is not one is left as it is, with a remark under `explain`: a
    reduction over another dimension, a divisor other than `d` (an unbiased
    variance), a statistic of another tensor, or an intermediate (the
    centred tensor, the mean, ...) with a user outside the pattern.

    Before (RMSNorm as exported, broadcasts abbreviated):

    ```mlir
    %sq = lf.mul %x, %x : tensor<2x16x64xf32>
    %s = linalg.reduce ins(%sq) outs(%zero) dimensions = [2] (add)
    %m = arith.divf %s, %c64 : tensor<2x16xf32>
    %v = arith.addf %m, %eps : tensor<2x16xf32>
    %r = math.rsqrt %v : tensor<2x16xf32>
    %rb = linalg.broadcast ins(%r) outs(...) dimensions = [2]
    %y = arith.mulf %x, %rb : tensor<2x16x64xf32>
    %gb = linalg.broadcast ins(%g : tensor<64xf32>) outs(...) dimensions = [0, 1]
    %z = arith.mulf %y, %gb : tensor<2x16x64xf32>
    ```

    After:

    ```mlir
    %z = lf.rms_norm %x gain(%g : tensor<64xf32>) {eps = 1.0e-06 : f32}
           : tensor<2x16x64xf32>
    ```
  }];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark on every norm-shaped candidate that is not recomposed">
  ];
  let dependentDialects = ["::mlir::lf::LFDialect"];
  let statistics = [
    Statistic<"numLayerNorm", "layer-norms", "LayerNorms recomposed">,
    Statistic<"numRMSNorm", "rms-norms", "RMSNorms recomposed">,
    Statistic<"numSilu", "silus", "SiLUs recomposed">,
    Statistic<"numGelu", "gelus", "GELUs recomposed">,
    Statistic<"numBias", "biases", "Bias adds merged into linears">,
    Statistic<"numGlu", "glus", "GLUs recomposed">,
    Statistic<"numDeclined", "declined", "Norm-shaped candidates left alone">
  ];
}

def FuseResidualNormPass
    : Pass<"lf-fuse-residual-norm", "::mlir::func::FuncOp"> {
  let summary = "Fuse a residual lf.add and the norm reading it into lf.residual_norm";
  let description = [{
    `lf.add` followed by `lf.layer_norm` or `lf.rms_norm` of the sum becomes
    one `lf.residual_norm` returning both the sum (the residual stream, for
    Pre-LN and Peri-LN blocks) and the normalized value (Post-LN), so the
    stream is read once. Every placement fuses the same way: Pre-LN
    (`s = x + o; n = LN(s)`, `s` continues), Post-LN (`LN(x + o)`), Peri-LN
    (`s = x + No(o); Ni(s)`), Mix-LN (a mix). When one sum feeds several
    norms, the first norm fuses and the others read the fused op's sum.

    Before:

    ```mlir
    %s = lf.add %x, %o : tensor<?x768xf32>
    %n = lf.layer_norm %s gain(%g : tensor<768xf32>) : tensor<?x768xf32>
    ```

    After:

    ```mlir
    %s, %n = lf.residual_norm layer %x, %o gain(%g : tensor<768xf32>)
               {eps = 1.0e-05 : f32} : tensor<?x768xf32>
    ```
  }];
  let dependentDialects = ["::mlir::lf::LFDialect"];
  let statistics = [
    Statistic<"numFused", "fused", "Add + norm pairs fused">
  ];
}

def FuseNormLinearPass : Pass<"lf-fuse-norm-linear", "::mlir::func::FuncOp"> {
  let summary = "Apply a gain-free norm in the prologue of the linears that read it";
  let description = [{
    A `lf.layer_norm` or `lf.rms_norm` without gain, bias or scale whose
    every user is an `lf.linear` (reading it as the input) is replaced by
    `lf.norm_linear` ops: the row statistics are computed once (CSE merges
    them across the linears), the rows are centred as they are loaded into
    the contraction and `rstd` is applied in the epilogue, so the normalized
    `[M, K]` tensor is never materialized. `lf-fold-norm-into-linear` runs
    first in `lf-optimize` and moves the norm's gain and bias into the
    linears, which leaves exactly this form.

    Declined, with a remark under `explain`: a norm that still has an affine
    tail (its fold was refused), a norm with a user that is not a linear
    (the normalized tensor is needed anyway).

    Before:

    ```mlir
    %n = lf.rms_norm %x {eps = 1.0e-06 : f32} : tensor<?x768xf32>
    %q = lf.linear %n, %wq : tensor<?x768xf32>, tensor<768x768xf32> -> tensor<?x768xf32>
    ```

    After:

    ```mlir
    %q = lf.norm_linear rms %x, %wq {eps = 1.0e-06 : f32}
           : tensor<?x768xf32>, tensor<768x768xf32> -> tensor<?x768xf32>
    ```
  }];
  let dependentDialects = ["::mlir::lf::LFDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every norm that is not fused">
  ];
  let statistics = [
    Statistic<"numFused", "fused", "Linears that absorbed their norm">,
    Statistic<"numRefused", "refused", "Norms left unchanged">
  ];
}

def FuseGluPass : Pass<"lf-fuse-glu", "::mlir::func::FuncOp"> {
  let summary = "Merge the two projections of a GLU into one linear with concatenated weights";
  let description = [{
    `lf.glu act(linear(x, W1, b1), linear(x, W2, b2))`, with both linears
    reading the same `x` and used only by the gate, becomes one
    `lf.linear(x, [W1; W2], [b1; b2])` of width `2F` whose two halves feed
    the gate: one GEMM reads `x` once, and the gate is its epilogue (row
    tiling fuses it). A missing bias becomes zeros when the other linear has
    one. The output width `F` must be static.

    Before:

    ```mlir
    %a = lf.linear %x, %w1 : tensor<?x768xf32>, tensor<2048x768xf32> -> tensor<?x2048xf32>
    %u = lf.linear %x, %w2 : tensor<?x768xf32>, tensor<2048x768xf32> -> tensor<?x2048xf32>
    %y = lf.glu silu %a, %u : tensor<?x2048xf32>
    ```

    After:

    ```mlir
    %w = tensor.insert_slice ... // [W1; W2] : tensor<4096x768xf32>
    %h = lf.linear %x, %w : tensor<?x768xf32>, tensor<4096x768xf32> -> tensor<?x4096xf32>
    %a = tensor.extract_slice %h[0, 0] [%n, 2048] [1, 1]
    %u = tensor.extract_slice %h[0, 2048] [%n, 2048] [1, 1]
    %y = lf.glu silu %a, %u : tensor<?x2048xf32>
    ```
  }];
  let dependentDialects = ["::mlir::lf::LFDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every GLU that is not fused">
  ];
  let statistics = [
    Statistic<"numFused", "fused", "GLUs whose projections were merged">
  ];
}

def FuseNormAttentionPass
    : Pass<"lf-fuse-norm-attention", "::mlir::func::FuncOp"> {
  let summary = "Fold NormAttention's norm and output gate into the attention (lf.norm_attention)";
  let description = [{
    TransNormerLLM's token-mixer output (spec.md 4.2), written as
    `lf.linear_attention` ([B, H, N, Dv]), the head-concatenating
    `linalg.transpose` (permutation [0, 2, 1, 3]) and `tensor.collapse_shape`
    (to [B*N, H*Dv] or [B, N, H*Dv]), `lf.rms_norm` over the channels (gain
    allowed) and `lf.mul` with the gate `u`, becomes one
    `lf.norm_attention`. Its tiled lowering writes each head's Lightning
    blocks token-major in place together with per-head sums of squares, so
    the norm and the gate are one pass reading the attention output and `u`
    once, and the transpose disappears.

    Declined, with a remark under `explain`: a non-causal attention or one
    that also returns its state, intermediate results with other users, a
    transpose or reshape that does not concatenate the heads of a token, a
    norm with a scale, a product that is not an elementwise gate.

    Before:

    ```mlir
    %o = lf.linear_attention %q, %k, %v decay(%s : tensor<2xf32>) : ... -> tensor<1x2x?x32xf32>
    %t = linalg.transpose ins(%o : tensor<1x2x?x32xf32>) outs(%e : tensor<1x?x2x32xf32>) permutation = [0, 2, 1, 3]
    %c = tensor.collapse_shape %t [[0, 1], [2, 3]] : tensor<1x?x2x32xf32> into tensor<?x64xf32>
    %n = lf.rms_norm %c : tensor<?x64xf32>
    %y = lf.mul %u, %n : tensor<?x64xf32>
    ```

    After:

    ```mlir
    %u3 = tensor.expand_shape %u [[0, 1], [2]] output_shape [1, %n, 64] : tensor<?x64xf32> into tensor<1x?x64xf32>
    %y3 = lf.norm_attention %q, %k, %v gate(%u3 : tensor<1x?x64xf32>) decay(%s : tensor<2xf32>) : ... -> tensor<1x?x64xf32>
    %y = tensor.collapse_shape %y3 [[0, 1], [2]] : tensor<1x?x64xf32> into tensor<?x64xf32>
    ```
  }];
  let dependentDialects = ["::mlir::lf::LFDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every NormAttention chain that is not fused">
  ];
  let statistics = [
    Statistic<"numFused", "fused", "Chains replaced by lf.norm_attention">,
    Statistic<"numRefused", "refused", "Chains left unchanged">
  ];
}

def HoistWeightPrepPass : Pass<"lf-hoist-weight-prep", "::mlir::ModuleOp"> {
  let summary = "Move weights-only computation into a <fn>_prepare function that runs once";
  let description = [{
    For every public function whose arguments include some marked
    `{lf.weight}`, the computations that depend only on those arguments and
    on constants (the weight-side arithmetic `lf-fold-norm-into-linear`
    leaves when weights are not constants, transposes, casts, ...) are
    moved out:

    - `@<fn>_prepare(<the weight arguments>) -> (<prepared values>)`
      computes them once;
    - `@<fn>_prepared(<all arguments of fn>, <prepared values>)` is `@<fn>`
      reading the prepared values instead of recomputing them.

    `@<fn>` keeps its signature and semantics, so existing callers keep
    working; its body becomes `@<fn>_prepared(args, @<fn>_prepare(weights))`
    so the computation is compiled once. Nothing is created when there is
    nothing to hoist.

    Before:

    ```mlir
    func.func @f(%x: tensor<?x4xf32>, %g: tensor<4xf32> {lf.weight}, %w: tensor<3x4xf32> {lf.weight}) -> tensor<?x3xf32> {
      %z = arith.constant dense<0.0> : tensor<4xf32>
      %w2 = lf.channel_affine %w, %g, %z {axis = 1 : i64} : tensor<3x4xf32>, tensor<4xf32>
      %y = lf.linear %x, %w2 : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
      return %y : tensor<?x3xf32>
    }
    ```

    After (added):

    ```mlir
    func.func @f_prepare(%g: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<3x4xf32>
    func.func @f_prepared(%x: tensor<?x4xf32>, %g: tensor<4xf32>, %w: tensor<3x4xf32>,
                          %w2: tensor<3x4xf32>) -> tensor<?x3xf32>
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let statistics = [
    Statistic<"numHoisted", "hoisted-values", "Prepared values computed once">
  ];
}

#endif // LIGHTFUSE_TRANSFORMS_PASSES_TD
