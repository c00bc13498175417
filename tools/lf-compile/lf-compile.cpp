//===- lf-compile.cpp - ahead-of-time compiler for lf modules -------------===//
//
// Part of lightfuse.
//
//   lf-compile FILE.mlir -o OUT.o --header OUT.h
//   lf-compile FILE.mlir --emit=linalg|llvm-mlir|llvm-ir|asm|obj -o OUT
//
// The object defines `_mlir_ciface_<fn>` for each public function; the
// header declares it and a plain C wrapper `<prefix><fn>` (see
// docs/calling-convention.md). Link the object with libLightfuseRuntime and
// libm only.
//
//===----------------------------------------------------------------------===//

#include "dialects/lf/LFDialect.h"
#include "lightfuse/Driver/Compiler.h"
#include "lightfuse/Driver/Parse.h"
#include "lightfuse/Driver/Registration.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/Timing.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <cctype>
#include <set>

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<file.mlir>"),
                                      cl::init("-"));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("path"), cl::init("-"));
static cl::opt<std::string> headerFile(
    "header", cl::desc("Also write a C header declaring the functions"),
    cl::value_desc("path"), cl::init(""));
static cl::opt<std::string> target(
    "target", cl::desc("cpu (default) or nvptx (NVIDIA GPUs)"), cl::init("cpu"));
static cl::opt<std::string> chip("chip",
                                 cl::desc("nvptx: GPU architecture (sm_80, "
                                          "sm_90, ...)"),
                                 cl::init("sm_80"));
static cl::opt<std::string> emit(
    "emit",
    cl::desc("What to write: linalg (lf lowered to linalg on tensors), "
             "llvm-mlir (LLVM dialect), llvm-ir, asm or obj (default); for "
             "--target=nvptx also gpu (gpu.launch_func and gpu.func kernels), "
             "ptx (the kernels' PTX) or cubin (assembled by ptxas)"),
    cl::init("obj"));
static cl::opt<unsigned> optLevel("O", cl::desc("Optimization level"),
                                  cl::init(2));
static cl::opt<std::string> prefix("prefix",
                                   cl::desc("Prefix of the C wrapper names"),
                                   cl::init("lf_"));
static cl::opt<bool> noOptimize(
    "no-optimize",
    cl::desc("Skip lf-optimize (graph folding); lower the graph as written"));
static cl::opt<bool> explainOpt(
    "explain",
    cl::desc("Print why each declined lf-optimize rewrite was declined and, "
             "for nvptx, why an op keeps the generic GPU kernels"));
static cl::opt<bool> rowKernels(
    "row-kernels",
    cl::desc("nvptx: RMSNorm, LayerNorm and residual+norm as one warp per "
             "row (lf-gpu-row-norms); --row-kernels=false for the generic "
             "one-thread-per-row loops"),
    cl::init(true));
static cl::opt<bool> attentionKernels(
    "attention-kernels",
    cl::desc("nvptx: Lightning Attention and the decode step as dedicated "
             "kernels (lf-gpu-linear-attention)"),
    cl::init(true));
static cl::opt<bool> gemmKernels(
    "gemm-kernels",
    cl::desc("nvptx: lf.linear as the tiled GEMM kernel with fused "
             "epilogues (lf-gpu-linear)"),
    cl::init(true));
static cl::opt<unsigned> threads(
    "cpu-threads",
    cl::desc("cpu: threads of each call, for the generated parallel loops "
             "and the GEMM / norm kernels, on the runtime's thread pool (1: "
             "sequential; N > 1: N threads; 0: LF_NUM_THREADS, "
             "OMP_NUM_THREADS, else one per core). Objects link "
             "libLightfuseRuntime only (no libomp)"),
    cl::init(1));
static cl::opt<bool> cpuUkernels(
    "cpu-ukernels",
    cl::desc("cpu: f32 linears as calls of the runtime's packed GEMM kernel "
             "(lf-cpu-linear-ukernel); --cpu-ukernels=false for the "
             "register-tiled linalg contractions"),
    cl::init(true));
static cl::opt<std::string> cpu("mcpu",
                                cl::desc("Target CPU (default: the host)"),
                                cl::init(""));

static int fail(const llvm::Twine &msg) {
  llvm::errs() << "lf-compile: error: " << msg << "\n";
  return 1;
}

static const char *cType(mlir::lf::DType d) {
  switch (d) {
  case mlir::lf::DType::f32:
    return "float";
  case mlir::lf::DType::i64:
    return "int64_t";
  case mlir::lf::DType::i32:
    return "int32_t";
  case mlir::lf::DType::f16:
  case mlir::lf::DType::bf16:
    return "uint16_t";
  }
  return "uint16_t";
}

/// Writes the C header: descriptor types, the ciface declarations and a
/// plain wrapper per function.
static void writeHeader(llvm::raw_ostream &os, llvm::ArrayRef<mlir::lf::FunctionSignature> sigs,
                        llvm::StringRef guardSeed, bool gpu) {
  std::string guard = "LIGHTFUSE_AOT_";
  for (char c : guardSeed)
    guard += std::isalnum(static_cast<unsigned char>(c))
                 ? static_cast<char>(std::toupper(c))
                 : '_';
  guard += "_H";
  os << "/* Generated by lf-compile; do not edit.\n"
        " *\n"
        " * Calling convention (docs/calling-convention.md):\n"
        " *  - Every tensor crosses the boundary as a strided memref "
        "descriptor\n"
        " *    {allocated, aligned, offset, sizes[rank], strides[rank]}; "
        "sizes and\n"
        " *    strides count elements. f16 and bf16 elements are uint16_t "
        "bit patterns.\n"
        " *  - Inputs must be row-major (identity layout) and are only "
        "read.\n"
        " *  - Results are allocated by the compiled code through "
        "libLightfuseRuntime;\n"
        " *    release each with lf_release(result.allocated).\n"
        " *  - The functions are reentrant: concurrent calls are safe.\n"
        " */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n"
     << (gpu ? "#include <string.h>\n" : "")
     << "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  if (gpu)
    os << "/* Compiled for an NVIDIA GPU (--target=nvptx). Link with\n"
          " * libLightfuseCudaRuntime (it dlopens libcuda.so.1) as well as\n"
          " * libLightfuseRuntime. The _mlir_ciface_ functions need inputs in\n"
          " * memory the GPU can read (lfCudaAllocShared); results are CUDA\n"
          " * managed memory, readable on the host. */\n"
          "int lfCudaProbe(char *msg, unsigned long msgSize);\n"
          "const char *lfCudaTakeError(void);\n"
          "void *lfCudaAllocShared(unsigned long bytes);\n"
          "void lfCudaPrefetchToDevice(void *ptr, unsigned long bytes);\n"
          "void lfCudaFree(void *ptr);\n"
          "void lfCudaSynchronize(void);\n\n";
  std::set<size_t> ranks;
  for (const mlir::lf::FunctionSignature &s : sigs) {
    for (const auto &t : s.inputs)
      ranks.insert(t.shape.size());
    for (const auto &t : s.results)
      ranks.insert(t.shape.size());
  }
  for (size_t r : ranks) {
    os << "#ifndef LF_MEMREF_" << r << "D_DEFINED\n#define LF_MEMREF_" << r
       << "D_DEFINED\ntypedef struct {\n  void *allocated;\n  void *aligned;\n"
          "  int64_t offset;\n";
    if (r)
      os << "  int64_t sizes[" << r << "];\n  int64_t strides[" << r << "];\n";
    os << "} lf_memref_" << r << "d;\n#endif\n\n";
  }
  if (gpu)
    os << "/* Returns a result buffer (CUDA managed memory). */\n"
          "static inline void lf_release(void *allocated) {\n"
          "  lfCudaFree(allocated);\n}\n\n";
  else
    os << "/* Returns a result buffer to the runtime (libLightfuseRuntime). */\n"
          "void _mlir_memref_to_llvm_free(void *ptr);\n"
          "static inline void lf_release(void *allocated) {\n"
          "  _mlir_memref_to_llvm_free(allocated);\n}\n\n";
  for (const mlir::lf::FunctionSignature &s : sigs) {
    std::string sname = prefix + s.name + "_results";
    os << "/* @" << s.name << "(";
    for (size_t i = 0; i < s.inputs.size(); ++i)
      os << (i ? ", " : "") << s.inputs[i].str();
    os << ") -> (";
    for (size_t i = 0; i < s.results.size(); ++i)
      os << (i ? ", " : "") << s.results[i].str();
    os << ") */\n";
    os << "typedef struct {\n";
    for (size_t i = 0; i < s.results.size(); ++i)
      os << "  lf_memref_" << s.results[i].shape.size() << "d r" << i << ";\n";
    if (s.results.empty())
      os << "  char unused;\n";
    os << "} " << sname << ";\n";
    os << "void _mlir_ciface_" << s.name << "(";
    bool first = true;
    if (!s.results.empty()) {
      os << sname << " *results";
      first = false;
    }
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      os << (first ? "" : ", ") << "lf_memref_" << s.inputs[i].shape.size()
         << "d *in" << i;
      first = false;
    }
    os << ");\n\n";
    // Plain wrapper: row-major data pointers plus each input's shape.
    os << "/* Plain form: each input as a row-major array and its shape.\n"
          "   Returns 0 after the call, or 1 without calling when a static\n"
          "   dimension or a pair of dimensions an op needs equal disagrees."
       << (gpu ? "\n   GPU: inputs are copied to managed memory for the call;\n"
                 "   returns 2 when there is no CUDA device and 3 when the\n"
                 "   GPU failed (lfCudaTakeError() says why)."
               : "")
       << " */\n"
       << "static inline int " << prefix << s.name << "(";
    first = true;
    if (!s.results.empty()) {
      os << sname << " *results";
      first = false;
    }
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      size_t r = s.inputs[i].shape.size();
      os << (first ? "" : ", ") << "const " << cType(s.inputs[i].dtype)
         << " *in" << i << ", const int64_t in" << i << "_shape[" << std::max<size_t>(r, 1) << "]";
      first = false;
    }
    os << ") {\n";
    for (size_t i = 0; i < s.inputs.size(); ++i)
      for (size_t d = 0; d < s.inputs[i].shape.size(); ++d)
        if (s.inputs[i].shape[d] >= 0)
          os << "  if (in" << i << "_shape[" << d << "] != "
             << s.inputs[i].shape[d] << ")\n    return 1;\n";
    for (const mlir::lf::DimConstraint &c : s.constraints)
      os << "  if (in" << c.inputA << "_shape[" << c.dimA << "] != in"
         << c.inputB << "_shape[" << c.dimB << "]) /* " << c.op << " */\n"
         << "    return 1;\n";
    if (gpu) {
      os << "  if (!lfCudaProbe(0, 0))\n    return 2;\n"
            "  lfCudaTakeError();\n";
      for (size_t i = 0; i < s.inputs.size(); ++i) {
        size_t r = s.inputs[i].shape.size();
        os << "  unsigned long n" << i << " = sizeof(*in" << i << ");\n";
        for (size_t d = 0; d < r; ++d)
          os << "  n" << i << " *= (unsigned long)in" << i << "_shape[" << d
             << "];\n";
        os << "  void *g" << i << " = lfCudaAllocShared(n" << i << ");\n"
           << "  if (!g" << i << ")\n    return 3;\n"
           << "  memcpy(g" << i << ", in" << i << ", n" << i << ");\n"
           << "  lfCudaPrefetchToDevice(g" << i << ", n" << i << ");\n";
      }
    }
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      size_t r = s.inputs[i].shape.size();
      os << "  lf_memref_" << r << "d d" << i << ";\n"
         << "  d" << i << ".allocated = d" << i << ".aligned = (void *)"
         << (gpu ? "g" : "in") << i << ";\n  d" << i << ".offset = 0;\n";
      if (r) {
        os << "  {\n    int64_t stride = 1;\n    for (int k = " << r - 1
           << "; k >= 0; --k) {\n      d" << i << ".sizes[k] = in" << i
           << "_shape[k];\n      d" << i << ".strides[k] = stride;\n"
           << "      stride *= in" << i << "_shape[k];\n    }\n  }\n";
      } else {
        os << "  (void)in" << i << "_shape;\n";
      }
    }
    os << "  _mlir_ciface_" << s.name << "(";
    first = true;
    if (!s.results.empty()) {
      os << "results";
      first = false;
    }
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      os << (first ? "" : ", ") << "&d" << i;
      first = false;
    }
    os << ");\n";
    if (gpu) {
      os << "  lfCudaSynchronize();\n";
      for (size_t i = 0; i < s.inputs.size(); ++i)
        os << "  lfCudaFree(g" << i << ");\n";
      os << "  if (lfCudaTakeError())\n    return 3;\n";
    }
    os << "  return 0;\n}\n\n";
  }
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "lightfuse ahead-of-time compiler\n");

  mlir::lf::CompileOptions options;
  options.target = target;
  options.chip = chip;
  options.cpu = cpu;
  options.optLevel = optLevel;
  options.optimize = !noOptimize;
  options.explain = explainOpt;
  options.threads = threads;
  options.ukernels = cpuUkernels;
  options.rowKernels = rowKernels;
  options.attentionKernels = attentionKernels;
  options.gemmKernels = gemmKernels;
  std::string invalid = mlir::lf::validateCompileOptions(options);
  if (!invalid.empty())
    return fail(invalid);
  bool gpu = target == "nvptx";
  static const char *emits[] = {"linalg", "llvm-mlir", "llvm-ir", "asm", "obj"};
  static const char *gpuEmits[] = {"gpu", "ptx", "cubin"};
  bool gpuOnly = llvm::is_contained(gpuEmits, llvm::StringRef(emit));
  if (!llvm::is_contained(emits, llvm::StringRef(emit)) && !gpuOnly)
    return fail("unknown --emit=" + emit +
                " (expected linalg, llvm-mlir, llvm-ir, asm or obj; with "
                "--target=nvptx also gpu, ptx or cubin)");
  if (gpuOnly && !gpu)
    return fail("--emit=" + emit + " needs --target=nvptx");
  if ((emit == "obj" || emit == "cubin") && outputFile == "-")
    return fail("--emit=" + emit + " needs -o FILE");
  std::string ptxas;
  if (emit == "cubin") {
    // The toolkit's assembler: PATH, $CUDA_HOME/bin, /usr/local/cuda/bin.
    llvm::SmallVector<llvm::StringRef> dirs;
    std::string cudaHome = std::getenv("CUDA_HOME") ? std::getenv("CUDA_HOME") : "";
    std::string homeBin = cudaHome.empty() ? "" : cudaHome + "/bin";
    if (!homeBin.empty())
      dirs.push_back(homeBin);
    dirs.push_back("/usr/local/cuda/bin");
    auto p = llvm::sys::findProgramByName("ptxas");
    if (!p)
      p = llvm::sys::findProgramByName("ptxas", dirs);
    if (!p)
      return fail("--emit=cubin needs ptxas (the CUDA toolkit), which is not "
                  "on PATH, in $CUDA_HOME/bin or in /usr/local/cuda/bin; "
                  "--emit=ptx writes the PTX instead");
    ptxas = *p;
  }
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser();

  std::string error;
  auto input = openInputFile(inputFile, &error);
  if (!input)
    return fail(error);
  auto ctx = mlir::lf::createContext();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, ctx.get());
  OwningOpRef<ModuleOp> module = mlir::lf::parseModule(sourceMgr, ctx.get());
  if (!module)
    return 1;

  mlir::lf::CompileStage stage =
      emit == "linalg" ? mlir::lf::CompileStage::Linalg
      : emit == "gpu"  ? mlir::lf::CompileStage::GPUKernels
                       : mlir::lf::CompileStage::LLVM;
  mlir::lf::CompileHooks hooks;
  // --mlir-timing: one report over every pass manager lowerModule runs and
  // LLVM's optimization and code generation.
  mlir::DefaultTimingManager timing;
  mlir::applyDefaultTimingManagerCLOptions(timing);
  mlir::TimingScope rootTiming = timing.getRootScope();
  hooks.configure = [&](PassManager &pm) {
    if (timing.isEnabled())
      pm.enableTiming(rootTiming);
    return applyPassManagerCLOptions(pm);
  };
  std::vector<mlir::lf::FunctionSignature> sigs;
  // Diagnostics, with locations, went to stderr already.
  if (failed(mlir::lf::lowerModule(*module, options, stage, sigs, error, hooks)))
    return 1;

  if (emit == "ptx" || emit == "cubin") {
    std::string ptx = mlir::lf::extractKernelImage(*module);
    if (ptx.empty())
      return fail("the module has no GPU kernels (no lf op with work to do)");
    if (emit == "ptx") {
      auto out = openOutputFile(outputFile, &error);
      if (!out)
        return fail(error);
      out->os() << ptx;
      out->keep();
      return 0;
    }
    llvm::SmallString<128> tmp;
    if (auto ec = llvm::sys::fs::createTemporaryFile("lf-kernels", "ptx", tmp))
      return fail("cannot create a temporary file: " + ec.message());
    {
      std::error_code ec;
      llvm::raw_fd_ostream os(tmp, ec);
      if (ec)
        return fail("cannot write " + tmp + ": " + ec.message());
      os << ptx;
    }
    std::string arch = "-arch=" + chip;
    llvm::StringRef args[] = {ptxas, arch, "-O3", "-o", outputFile, tmp};
    std::string msg;
    int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, {}, 0, 0,
                                       &msg);
    llvm::sys::fs::remove(tmp);
    if (rc != 0)
      return fail("ptxas failed" + (msg.empty() ? "" : ": " + msg) +
                  " (exit " + std::to_string(rc) + ")");
    return 0;
  }

  auto out = openOutputFile(outputFile, &error);
  if (!out)
    return fail(error);
  if (emit == "linalg" || emit == "llvm-mlir" || emit == "gpu") {
    module->print(out->os());
    out->keep();
    return 0;
  }
  mlir::lf::HostOutput kind = emit == "llvm-ir" ? mlir::lf::HostOutput::LLVMIR
                              : emit == "asm"   ? mlir::lf::HostOutput::Assembly
                                                : mlir::lf::HostOutput::Object;
  {
    mlir::TimingScope llvmTiming = rootTiming.nest("LLVM optimization and code generation");
    if (failed(mlir::lf::emitHostCode(*module, options, kind, out->os(), error)))
      return fail(error);
  }
  out->keep();

  if (!headerFile.empty()) {
    auto hdr = openOutputFile(headerFile, &error);
    if (!hdr)
      return fail(error);
    writeHeader(hdr->os(), sigs, llvm::sys::path::stem(headerFile), gpu);
    hdr->keep();
  }
  return 0;
}
