//===- Passes.td - lf to GPU kernels -----------------------*- tablegen -*-===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CONVERSION_LFTOGPU_PASSES_TD
#define LIGHTFUSE_CONVERSION_LFTOGPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def GPURowNormsPass : Pass<"lf-gpu-row-norms", "::mlir::func::FuncOp"> {
  let summary = "Lower lf.rms_norm, lf.layer_norm and lf.residual_norm to row kernels with shuffle reductions";
  let description = [{
    GPU path, on by default (`lf-gpu-pipeline{row-kernels=false}` or
    `lf-compile --row-kernels=false` keep the generic lowering). Each row of an
    `lf.rms_norm`, `lf.layer_norm` or `lf.residual_norm` (any rank; the rows
    are all leading dimensions) is handled by one warp (`block-size / 32`
    rows per block): each lane sums a strided slice of the row in f32, a
    5-step `gpu.shuffle xor` butterfly combines the lanes, and the same lanes
    write the normalized row (gain, bias, scale applied). When the static
    row length is a multiple of 16 bytes' worth of elements, every lane
    accesses 16 consecutive bytes at a time (`vector.load`/`vector.store`
    with 16-byte alignment: 128-bit `ld.global.v4` / `st.global.v4`); the
    host checks that the input, residual, gain and bias pointers are 16-byte
    aligned and launches the scalar-lane kernel otherwise.
    LayerNorm uses the CPU lowering's shifted two-pass statistics (shift by
    the row's first element), so large-mean rows do not cancel.
    `lf.residual_norm`: the first pass adds the residual, stores the sum
    (rounded to the storage type, as the CPU lowering) and accumulates the
    first statistic; the later passes re-read the sum each lane wrote.
    Reads are coalesced (consecutive lanes read consecutive elements). The
    generic lowering instead runs one thread per row.

    Rows of a static length that is a multiple of 32 such vectors (and at
    most 16 vectors per thread: 16384 f32) instead take one thread block
    per row (up to 256 threads) holding the row in registers: x (and r)
    are read once, the statistics reduce through warp butterflies and the
    warps' partial sums in shared memory, and the output is written from
    registers - one read and one write of memory per element, where the
    warp kernel re-reads the row for each statistic (from L2 at best).

    Checked numerically on the host by `lf-gpu-emulate`
    (test/Integration/Emulated/row_norms.py); not yet run on a GPU:
    `scripts/gpu-check.sh` and test/Integration/GPU/kernels.test run it
    once one is available.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block (warp kernel: block-size / 32 rows per block; "
           "block per row: at most this many threads)">
  ];
}

def GPULinearPass : Pass<"lf-gpu-linear", "::mlir::func::FuncOp"> {
  let summary = "lf.linear as a tiled GEMM kernel; GLU and activations in its epilogue";
  let description = [{
    GPU path (on in `lf-gpu-pipeline`, `gemm-kernels=false` turns it off).
    Each `lf.linear` (`x: [..., K]`, `W: [N, K]`, optional bias) becomes a
    shared-memory tiled SIMT GEMM: a thread block of 256 threads computes a
    64 x 64 output tile, staging 64 x 16 slices of `x` and `W` in shared
    memory (k-major, rows padded to 68 floats) per step of 16 along K; each
    thread accumulates a 4 x 4 register tile (rows `4 ty + i`, columns
    `4 tx + j`) in f32, reading its x and W values for each k as one
    16-byte shared load each (x: a broadcast, W: contiguous). The
    epilogue adds the bias and applies a following single-use
    `lf.activation`. `lf.glu act(x W1^T (+ b1)) * (x W2^T (+ b2))` of one
    input becomes one kernel that stages both weights and keeps both
    accumulators in registers: the two projections never reach memory.

    This is a plain SIMT kernel (no tensor cores, no register double
    buffering); see docs/gpu.md for how far from cuBLAS it is expected to be
    and what would close the gap. Rank-1 inputs keep the generic lowering
    (`explain` says why). Checked numerically on the host by
    `lf-gpu-emulate`; not yet run on a GPU.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for each op left to the generic lowering">
  ];
}

def GPULinearAttentionPass
    : Pass<"lf-gpu-linear-attention", "::mlir::func::FuncOp"> {
  let summary = "Lightning Attention and the decode step as dedicated GPU kernels";
  let description = [{
    GPU path (on in `lf-gpu-pipeline`, `attention-kernels=false` turns it
    off). A causal `lf.linear_attention` (decay per head or none, static
    `Dk` and `Dv`, any feature map, optional final state) becomes one kernel
    computing Lightning Attention-2: one thread block per (batch, head,
    slice of `Ev` value columns) walks the sequence in blocks of `block`
    tokens with the `Dk x Ev` state in shared memory:

    ```
    A  load phi(Q_b), phi(K_b) (f32), V_b[:, slice]; zero rows past the end
    B  P = (Q_b K_b^T) * lambda^(i-j) (j <= i, else 0)   4x4 tiles per thread
    C  O_b = P V_b + lambda^(i+1) Q_b S                  4 value columns per
    D  S = lambda^len S + sum_j lambda^(len-1-j) k_j^T v_j   thread (16-byte
                                                            shared loads)
    ```

    with a barrier after each phase. The powers `lambda^0..block` are one
    table per thread block; phase B reads 4 key channels of a Q/K row per
    16-byte load (rows padded to `Dk + 4` floats; `Dk + 1`, scalar reads, when
    `Dk` is not a multiple of 4). Shared memory (dynamic, above the 48 KiB
    static limit - the runtime raises the kernel's limit) is
    `4 * (2*block*(Dk+4) + block*Ev + block^2 + Dk*Ev + block + 1)` bytes;
    `block` is halved until it fits `max-shared-bytes`. `Ev` is `Dv`, halved
    while it stays a divisor >= 16 and there are fewer than `min-blocks`
    thread blocks (few heads still fill the GPU; phase B is then repeated
    per slice). Memory use is independent of the sequence length.

    `lf.linear_attention_step` becomes one kernel per (batch, head, value
    slice): `S' = lambda S + phi(k)^T v` with consecutive threads on
    consecutive value columns (coalesced), then `o = phi(q) S'` from shared
    memory. `lf.norm_attention` is expanded first (its attention part takes
    the kernel, its RMSNorm the row kernel when enabled).

    Declined forms keep the generic lowering (`explain` emits a remark
    saying why): non-causal attention (two GEMMs), per-channel decays,
    dynamic head dims. Checked numerically on the host by `lf-gpu-emulate`
    (test/Integration/Emulated); not yet run on a GPU.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"block", "block", "int64_t", /*default=*/"64",
           "Tokens per Lightning block (a multiple of 4)">,
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per thread block">,
    Option<"valueTile", "value-tile", "int64_t", /*default=*/"0",
           "Value columns per thread block when it divides Dv (else, and "
           "for 0, automatic)">,
    Option<"minBlocks", "min-blocks", "int64_t", /*default=*/"128",
           "Split value columns until there are this many thread blocks">,
    Option<"maxSharedBytes", "max-shared-bytes", "int64_t", /*default=*/"101376",
           "Shared memory per thread block (99 KiB: two blocks per H100 SM)">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for each op left to the generic lowering">
  ];
}

#endif // LIGHTFUSE_CONVERSION_LFTOGPU_PASSES_TD
