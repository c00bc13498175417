//===- Passes.td - lightfuse conversion passes -------------*- tablegen -*-===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CONVERSION_PASSES_TD
#define LIGHTFUSE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLFToLinalgPass : Pass<"convert-lf-to-linalg"> {
  let summary = "Lower every lf op to linalg, tensor, arith, math and scf";
  let description = [{
    Rewrites each `lf` op into tensor-level upstream IR: `linalg.generic`
    reductions and elementwise ops (statistics and dot products accumulate
    in `f32` and are rounded once to the storage type), `tensor` reshapes
    for grouped norms, and an `scf.for` over tokens for the causal linear
    attention recurrence. Dynamic dimensions are read with `tensor.dim`.

    Before:

    ```mlir
    %y = lf.rms_norm %x : tensor<?x768xf32>
    ```

    After (abridged):

    ```mlir
    %ss = linalg.generic {iterator_types = ["parallel", "reduction"]}
            ins(%x : tensor<?x768xf32>) outs(%zero : tensor<?xf32>) {...}
    %y  = linalg.generic {iterator_types = ["parallel", "parallel"]}
            ins(%x, %ss : tensor<?x768xf32>, tensor<?xf32>) outs(%e : tensor<?x768xf32>) {
              // x * rsqrt(ss / d + eps)
            }
    ```

    Every `lf` op is illegal afterwards: an op the conversion cannot handle
    is reported with its location and the pass fails.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def TileLinearAttentionPass : Pass<"lf-tile-linear-attention"> {
  let summary = "Lower causal linear attention to the Lightning Attention-2 block recurrence";
  let description = [{
    Rewrites each causal `lf.linear_attention` (decay per head, per head and
    key channel, or none) into a loop over blocks of `block-size` rows (spec.md 5.5, in the
    convention whose final state is exactly the decode state): per block,
    the intra-block product `((Q K^T) * D) V` with the causal mask applied
    on indices and the decay separately, plus the inter-block contribution
    `(Q * qd) S` through an f32 state carried across blocks, then
    `S = bd * S + (K * kd)^T V`. Only `exp(-s * k)` with `0 <= k <= block-size`
    is evaluated; the last block may be shorter; N may be dynamic. Work is
    `O(N * (B * (Dk + Dv) + Dk * Dv))` and the state is the only carried
    memory. With a per-channel decay (`[H, Dk]`) the decay acts on each key
    channel: the intra-block scores become `sum_c q k exp(-s_c (t - s'))`
    (still only exponents `0..block-size`), `qd` and `kd` scale channels and
    the state decays per channel (`per-channel=false` leaves those to the
    token recurrence). Non-causal attention is left for
    `convert-lf-to-linalg` (`Q (K^T V)`, already linear).

    Heuristic default: 64 rows, the block of the lightning-attention
    kernels; it keeps a block's Q, K, V and scores within L2 for head dims
    up to 128. `lf-cpu-pipeline` runs it with `attention-block=64` and
    `per-channel=false`: with register-tiled contractions the per-head form
    beats the token recurrence on long sequences, while the per-channel
    scores (an exp per term) lose to it; docs/benchmarks.md has the figures.

    Structure: one `scf.forall` over (batch, head) (threads with
    `lf-cpu-pipeline{threads}`), the block loop inside; the powers of lambda
    and the decayed mask are tables built once. When `threads` > 1 exceeds
    B * H (static), the forall also splits the value columns into
    `ceil(threads / (B * H))` slices (Dv divisible, at least 8 columns each)
    so every thread has work; each slice recomputes the block scores.
    `lf.norm_attention` is tiled the same way, writing token-major rows and
    per-head sums of squares.

    Before:

    ```mlir
    %o = lf.linear_attention %q, %k, %v decay(%s : tensor<8xf32>) : ...
    ```

    After: an `scf.forall` over (batch, head) with, inside, an `scf.for` over
    blocks carrying the head's f32 state and output rows, `linalg.generic`
    contractions in its body.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::affine::AffineDialect"
  ];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"64",
           "Rows per block">,
    Option<"perChannel", "per-channel", "bool", /*default=*/"true",
           "Also tile attention with per-channel ([H, Dk]) decays">,
    Option<"threads", "threads", "unsigned", /*default=*/"1",
           "Threads the (batch, head) loop will run on: when B * H is smaller, "
           "value columns are split across iterations (0 or 1: no split)">
  ];
}

#endif // LIGHTFUSE_CONVERSION_PASSES_TD
