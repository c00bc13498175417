//===- Passes.td - GPU codegen -----------------------------*- tablegen -*-===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CODEGEN_GPU_PASSES_TD
#define LIGHTFUSE_CODEGEN_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def GPUSharedAllocsPass : Pass<"lf-gpu-shared-allocs", "::mlir::func::FuncOp"> {
  let summary = "Allocate buffers as GPU memory visible to host and device";
  let description = [{
    After bufferization, every `memref.alloc` becomes `gpu.alloc host_shared`
    (CUDA managed memory) and every `memref.dealloc` of such a buffer a
    `gpu.dealloc`. Kernels, the host-side loops that launch them (the token
    recurrence of linear attention) and the caller reading results all see
    the same pointer; the driver migrates pages to the GPU on first touch,
    so buffers reused across calls stay resident.

    ```mlir
    %t = memref.alloc(%n) : memref<?x64xf32>
    // becomes
    %t = gpu.alloc host_shared (%n) : memref<?x64xf32>
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GPUTileParallelLoopsPass
    : Pass<"lf-gpu-tile-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "Split outermost scf.parallel loops into blocks and threads";
  let description = [{
    Tiles every outermost `scf.parallel` by `block-size` along its innermost
    dimension (1 along the others), so that `gpu-map-parallel-loops` maps the
    tile loop to the grid and the intra-tile loop to `block-size` threads.
    The innermost dimension is the contiguous one of row-major buffers, so
    consecutive threads touch consecutive addresses.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::affine::AffineDialect"];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"128",
           "Threads per block along the innermost parallel dimension">
  ];
}

def GPUMergeModulesPass : Pass<"lf-gpu-merge-modules", "::mlir::ModuleOp"> {
  let summary = "Put every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` creates one `gpu.module` per kernel. This pass
    moves all kernels into the first one and retargets the `gpu.launch_func`
    ops, so a compiled module carries one PTX/cubin image that is loaded
    once, and `lf-compile --emit=ptx` writes one file `ptxas` accepts.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GPUEmulatePass : Pass<"lf-gpu-emulate", "::mlir::func::FuncOp"> {
  let summary = "Run gpu.launch kernels on the host (checks kernels without a GPU)";
  let description = [{
    Replaces every `gpu.launch` by host loops with the same semantics, so
    that the hand-written kernels (`lf-gpu-row-norms`, `lf-gpu-linear-attention`,
    `lf-gpu-linear`) are checked numerically by the CPU test suite on
    machines without a GPU. `lf-gpu-emulated-pipeline` is the GPU lowering
    with this pass in place of kernel outlining and NVVM code generation,
    then CPU code generation (`lf-run --pass-pipeline=
    'builtin.module(lf-gpu-emulated-pipeline{emit-c-interface})'`).

    Blocks run one after the other. Within a block the body is cut at every
    synchronization point - `gpu.barrier`, `gpu.shuffle`, or an `scf.for` /
    `scf.if` containing one - and each piece runs as a loop over all the
    block's threads (linear id `x + X * (y + Y * z)`, lanes of a warp are 32
    consecutive ids). Per-thread values that live across a cut are kept in
    one host slot per thread, or recomputed when pure (views, index math).
    A loop containing a cut must have block-uniform bounds (its iteration
    arguments are per-thread slots); an `scf.if` containing one runs once
    per block when its condition is block-uniform, else guards each piece of
    its branches per thread (warp-uniform conditions around shuffles).
    `gpu.shuffle` reads the source lane's value published in the previous
    piece. Workgroup attributions and `gpu.dynamic_shared_memory` become
    host buffers (64-byte aligned, freed after the launch: the pass runs
    after buffer deallocation, as in `lf-gpu-emulated-pipeline`).
    Unsupported forms (asynchronous launches, clusters,
    private attributions, synchronization inside other region ops, a
    non-scalar value living across a barrier) are reported on the op.

    Emulation checks the index math, the data flow through shared memory
    and the placement of barriers a kernel's algorithm relies on; it cannot
    catch races between threads that the barriers do not order (threads run
    in order here) or GPU resource limits.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // LIGHTFUSE_CODEGEN_GPU_PASSES_TD
