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

include "dialects/lf/LFNormOps.td"
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
    `y = x - mean(x, axis)`, the projector `P = I - (1/d) 1 1^T` of spec.md
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
// Weight reparameterizations (spec.md section 6)
//===----------------------------------------------------------------------===//

def LF_SigmaReparamOp : LF_Op<"sigma_reparam", [AllTypesMatch<["weight", "result"]>]> {
  let summary = "sigmaReparam: W * gamma / sigma(W)";
  let description = [{
    The spectrally reparameterized weight of sigmaReparam (spec.md 6.1) for a
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
    The Weight Compander (spec.md 6.3) applies an odd, monotone `f` to every
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

include "dialects/lf/LFAttentionOps.td"

//===----------------------------------------------------------------------===//
// State-space models
//===----------------------------------------------------------------------===//

def LF_DiagSSMOp : LF_Op<"diag_ssm", [AttrSizedOperandSegments,
    AllTypesMatch<["input", "result"]>,
    AllTypesMatch<["log_a_real", "a_imag", "c_real", "c_imag"]>]> {
  let summary = "S4D: a diagonal state-space model over the sequence";
  let description = [{
    spec.md section 8. Per channel `h` of `input` `u: [B, H, L]`, with `N`
    complex modes (conjugate pairs implicit, hence `2 Re`):

    ```
    dt = exp(log_dt[h]),  A[h, n] = -exp(log_a_real[h, n]) + i a_imag[h, n]
    zoh:       dA = exp(dt A),                 dB = (exp(dt A) - 1) / A
    bilinear:  dA = (1 + dt A/2)/(1 - dt A/2),  dB = dt / (1 - dt A/2)
    C = c_real + i c_imag                     (B = 1 folded into C)
    kernel:    K[h, l] = 2 Re(sum_n C dB dA^l),  y = causal_conv(u, K) + skip u
    recurrent: x_t = dA x_{t-1} + dB u_t,       y_t = 2 Re(sum_n C x_t) + skip u_t
    ```

    With `state(%s)`, a `[B, H, N, 2]` f32 tensor holding the complex state
    (real, imaginary) the sequence starts from, the op also returns the state
    after its last step, so a model decodes token by token (`L = 1`) or in
    chunks from where a prefill stopped:
    `x_t = dA x_{t-1} + dB u_t` from `x_{-1} = state`, `new_state = x_{L-1}`.
    Both forms then run the recurrence (same function, O(L N)).

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
    // One decode step from a state, returning the next one.
    %y1, %s1 = lf.diag_ssm recurrent zoh %u1, %log_dt, %log_a_re, %a_im, %c_re, %c_im
           state(%s0 : tensor<2x64x32x2xf32>)
           : tensor<2x64x1xf32>, tensor<64xf32>, tensor<64x32xf32> -> tensor<2x64x32x2xf32>
    ```
  }];
  let arguments = (ins LF_SSMFormAttr:$form,
                       LF_SSMDiscretizationAttr:$discretization,
                       LF_Tensor:$input, LF_F32Tensor:$log_dt,
                       LF_F32Tensor:$log_a_real, LF_F32Tensor:$a_imag,
                       LF_F32Tensor:$c_real, LF_F32Tensor:$c_imag,
                       Optional<LF_F32Tensor>:$skip,
                       Optional<LF_F32Tensor>:$state);
  let results = (outs LF_Tensor:$result, Optional<LF_F32Tensor>:$new_state);
  let assemblyFormat = [{
    $form $discretization $input `,` $log_dt `,` $log_a_real `,` $a_imag `,`
      $c_real `,` $c_imag (`skip` `(` $skip^ `:` type($skip) `)`)?
      (`state` `(` $state^ `:` type($state) `)`)? attr-dict
      `:` type($input) `,` type($log_dt) `,` type($log_a_real)
      (`->` type($new_state)^)?
  }];
  let hasVerifier = 1;
}

#endif // LIGHTFUSE_DIALECTS_LF_LFOPS_TD
