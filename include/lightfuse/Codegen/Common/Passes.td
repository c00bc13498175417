//===- Passes.td - target-independent codegen --------------*- tablegen -*-===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CODEGEN_COMMON_PASSES_TD
#define LIGHTFUSE_CODEGEN_COMMON_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseElementwisePass : Pass<"lf-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Fuse elementwise linalg producers without recomputing them";
  let description = [{
    Upstream elementwise fusion, restricted to producers the consumer reads
    either once per element or broadcast only along its innermost loops (a
    per-row value in a row epilogue, which LLVM hoists out of the inner
    loop). Fusing a producer into a consumer that broadcasts it along an
    outer loop (the input of a contraction, read once per output column)
    would recompute it that many times: `linalg-fuse-elementwise-ops` does
    that, this pass does not. Producers must have a single user, as
    upstream.

    Before:

    ```mlir
    %a = linalg.generic {iterator_types = ["parallel", "parallel"]} ins(%x) ...   // x * s
    %b = linalg.generic {iterator_types = ["parallel", "reduction"]} ins(%a) ...  // sum of squares
    %c = linalg.generic {iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %w) ...  // a @ w^T
    ```

    After: `%a` is fused into `%b`'s body (each element read once) but not
    into `%c` (which would recompute it per output column).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def IntoVariantsPass : Pass<"lf-into-variants", "::mlir::ModuleOp"> {
  let summary = "Destination-passing variants of public functions with static result shapes";
  let description = [{
    Runs after one-shot bufferization, before buffer deallocation. Each
    public `func.func` whose results are statically shaped buffers (each
    returned once) gets a copy `<name>__into`, marked
    `lf.into_of = "<name>"`, whose results upstream's
    `promoteBufferResultsToOutParams` turns into trailing out-parameters: a
    result allocated in the function is computed in the caller's buffer (no
    allocation, no copy), any other result is copied into it. The original
    becomes a wrapper that allocates the results and calls the variant
    (`no_inline`), so the body is compiled once. The JIT calls the variant
    when the caller provides the outputs (`lfFunctionInvoke`, Python
    `out=`).
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numAdded", "added", "Destination-passing variants added">
  ];
}

def DropFrontendAttrsPass : Pass<"lf-drop-frontend-attrs", "::mlir::ModuleOp"> {
  let summary = "Drop front-end argument and result attributes LLVM IR has no place for";
  let description = [{
    `{lf.weight}` (read by `lf-hoist-weight-prep` and
    `lf-cpu-linear-ukernel`) and `{lf.name}` (the ONNX importer's value
    names) describe a function's interface to the front end; nothing after
    the graph passes reads them and LLVM IR has no place for them (its
    translation warns about every unknown parameter attribute). This pass
    removes every `lf.`-prefixed argument and result attribute of the
    module's functions (declarations included); other attributes stay.
    `prefixes` names other prefixes instead: the CPU pipeline runs it again
    with `bufferization.` after One-Shot Bufferize, which read the
    `bufferization.access = "read"` of the runtime kernels' declarations.

    ```mlir
    func.func @f(%x: tensor<4xf32> {lf.name = "x"}, %w: tensor<4xf32> {lf.weight})
    // becomes
    func.func @f(%x: tensor<4xf32>, %w: tensor<4xf32>)
    ```
  }];
  let options = [
    ListOption<"prefixes", "prefixes", "std::string",
               "Attribute-name prefixes to drop (default: lf.)">
  ];
}

def OutlineLoopNestsPass : Pass<"lf-outline-loop-nests", "::mlir::ModuleOp"> {
  let summary = "Move the top-level loop nests of large functions into functions of their own";
  let description = [{
    A whole imported model lowers to one function holding hundreds of loop
    nests in sequence. LLVM's loop passes (IndVars, LSR) query
    ScalarEvolution for the guards of every loop by walking the dominator
    tree up to the function entry, which makes compiling such a function
    quadratic in its length: a 6-layer decoder step took 9 s in LLVM alone.
    This pass moves every top-level `scf.for` / `scf.parallel` /
    `scf.forall` nest (with `min-ops` or more operations) of a function
    holding at least `min-loops` of them into a private function
    `@<fn>_loop<i>` marked `noinline`, called in its place. Values from
    outside become arguments (constants are cloned instead), results become
    results. Each outlined function is small, so LLVM's work is linear in
    the model; the call costs a few nanoseconds per loop nest.

    ```mlir
    func.func @f(%a: memref<64xf32>) {
      scf.for %i = %c0 to %c64 step %c1 { ... %a ... }
      ...                                   // (min-loops nests in all)
    }
    // becomes
    func.func @f(%a: memref<64xf32>) {
      call @f_loop0(%a) : (memref<64xf32>) -> ()
      ...
    }
    func.func private @f_loop0(%a: memref<64xf32>) attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]} {
      scf.for %i = %c0 to %c64 step %c1 { ... %a ... }
      return
    }
    ```
  }];
  let options = [
    Option<"minLoops", "min-loops", "unsigned", /*default=*/"16",
           "Outline only in functions with at least this many top-level loop nests">,
    Option<"minOps", "min-ops", "unsigned", /*default=*/"8",
           "Outline only nests with at least this many operations">
  ];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect"];
}

def EmitCInterfacePass : Pass<"lf-emit-c-interface", "::mlir::ModuleOp"> {
  let summary = "Mark every public function for a C interface wrapper";
  let description = [{
    Sets `llvm.emit_c_interface` on every public function with a body, so
    that `convert-func-to-llvm` emits `_mlir_ciface_<fn>` wrappers taking
    memref descriptors by pointer. The JIT (`ExecutionEngine::invokePacked`)
    and the headers `lf-compile --header` writes call these wrappers; private
    and external functions are left alone.

    ```mlir
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32>
    // becomes
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> attributes {llvm.emit_c_interface}
    ```
  }];
}

def MarkInputsReadOnlyPass
    : Pass<"lf-mark-inputs-read-only", "::mlir::ModuleOp"> {
  let summary = "Mark every tensor argument of a public function read-only";
  let description = [{
    lightfuse's calling convention makes inputs read-only: the JIT, the C API,
    Python and AOT callers pass their own arrays. One-shot bufferization across
    function boundaries assumes arguments are writable, so an op that updates
    a value in place (the decode step's state, `lf.linear_attention_step`)
    would write into the caller's input. This pass sets
    `bufferization.writable = false` on every tensor argument of every public
    function, so bufferization copies such a value before writing it. It runs
    right before `one-shot-bufferize` in both targets' pipelines.

    ```mlir
    func.func @step(%state: tensor<1x8x64x32xf32>) -> ...
    // becomes
    func.func @step(%state: tensor<1x8x64x32xf32> {bufferization.writable = false}) -> ...
    ```
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

#endif // LIGHTFUSE_CODEGEN_COMMON_PASSES_TD
