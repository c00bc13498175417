//===- JitModule.cpp - compile lf modules and run them on the CPU ---------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/ExecutionEngine/JitModule.h"

#include "dialects/lf/LFDialect.h"
#include "lightfuse/Pipelines/Pipelines.h"
#include "lightfuse/Runtime/Runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

using namespace mlir;
using namespace mlir::lf;

std::string TensorSpec::str() const {
  std::string s = dtypeName(dtype);
  s += "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + (shape[i] < 0 ? std::string("?")
                                        : std::to_string(shape[i]));
  return s + "]";
}

JitModule::JitModule() = default;
JitModule::~JitModule() = default;

const FunctionSignature *JitModule::lookup(llvm::StringRef name) const {
  for (const FunctionSignature &f : fns)
    if (f.name == name)
      return &f;
  return nullptr;
}

static std::optional<TensorSpec> specOf(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  if (!rt)
    return std::nullopt;
  TensorSpec s;
  Type e = rt.getElementType();
  if (e.isF32())
    s.dtype = DType::f32;
  else if (e.isF16())
    s.dtype = DType::f16;
  else if (e.isBF16())
    s.dtype = DType::bf16;
  else
    return std::nullopt;
  for (int64_t d : rt.getShape())
    s.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return s;
}

static void initLLVMOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

std::unique_ptr<JitModule> JitModule::compile(llvm::StringRef source,
                                              llvm::StringRef bufferName,
                                              const CompileOptions &options,
                                              std::string &error) {
  initLLVMOnce();
  std::unique_ptr<JitModule> jm(new JitModule());
  DialectRegistry registry;
  registry.insert<lf::LFDialect>();
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  jm->context = std::make_unique<MLIRContext>(registry);
  MLIRContext &ctx = *jm->context;
  ctx.loadAllAvailableDialects();

  // Collect every diagnostic, with its location, into `error`.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, bufferName), llvm::SMLoc());
  std::string diagText;
  llvm::raw_string_ostream diagOS(diagText);
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx, diagOS);

  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &ctx);
  auto fail = [&](llvm::StringRef what) {
    error = (what + (diagText.empty() ? "" : ":\n" + diagText)).str();
    return nullptr;
  };
  if (!module)
    return fail("failed to parse the module");

  // Signatures come from the tensor-level functions.
  for (auto fn : module->getOps<func::FuncOp>()) {
    if (!fn.isPublic() || fn.isExternal())
      continue;
    FunctionSignature sig;
    sig.name = fn.getSymName().str();
    auto fty = fn.getFunctionType();
    for (auto [i, t] : llvm::enumerate(fty.getInputs())) {
      auto s = specOf(t);
      if (!s) {
        fn.emitError() << "argument #" << i << " has type " << t
                       << "; lightfuse functions take ranked tensors of f32, "
                          "f16 or bf16";
        return fail("unsupported function signature");
      }
      sig.inputs.push_back(*s);
    }
    for (auto [i, t] : llvm::enumerate(fty.getResults())) {
      auto s = specOf(t);
      if (!s) {
        fn.emitError() << "result #" << i << " has type " << t
                       << "; lightfuse functions return ranked tensors of "
                          "f32, f16 or bf16";
        return fail("unsupported function signature");
      }
      sig.results.push_back(*s);
    }
    jm->fns.push_back(std::move(sig));
  }

  PassManager pm(&ctx);
  if (options.pipeline.empty()) {
    buildCPUPipeline(pm, CPUPipelineOptions());
  } else if (failed(parsePassPipeline(options.pipeline, pm, diagOS))) {
    return fail("invalid pass pipeline '" + options.pipeline + "'");
  }
  if (!options.dumpDir.empty()) {
    llvm::sys::fs::create_directories(options.dumpDir);
    pm.getContext()->disableMultithreading();
    pm.enableIRPrintingToFileTree(
        [](Pass *, Operation *) { return false; },
        [](Pass *, Operation *) { return true; },
        /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false,
        /*printAfterOnlyOnFailure=*/false, options.dumpDir);
  }
  if (failed(pm.run(*module)))
    return fail("lowering to the CPU failed");

  auto tmBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder)
    return fail("cannot detect the host target: " +
                llvm::toString(tmBuilder.takeError()));
  auto tm = tmBuilder->createTargetMachine();
  if (!tm)
    return fail("cannot create a target machine: " +
                llvm::toString(tm.takeError()));

  ExecutionEngineOptions eo;
  eo.transformer = makeOptimizingTransformer(options.optLevel, 0, tm->get());
  eo.jitCodeGenOptLevel = static_cast<llvm::CodeGenOptLevel>(
      std::min(options.optLevel, 3u));
  auto engine = ExecutionEngine::create(*module, eo);
  if (!engine)
    return fail("JIT compilation failed: " +
                llvm::toString(engine.takeError()));
  jm->engine = std::move(*engine);
  // The runtime symbols compiled code may call, resolved in-process.
  jm->engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    auto add = [&](const char *name, auto *fn) {
      map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                             llvm::JITSymbolFlags::Exported};
    };
    add("memrefCopy", &memrefCopy);
    add("_mlir_memref_to_llvm_alloc", &_mlir_memref_to_llvm_alloc);
    add("_mlir_memref_to_llvm_aligned_alloc",
        &_mlir_memref_to_llvm_aligned_alloc);
    add("_mlir_memref_to_llvm_free", &_mlir_memref_to_llvm_free);
    return map;
  });
  jm->engine->initialize();
  return jm;
}

namespace {
/// A strided memref descriptor for rank r: {alloc, aligned, offset,
/// sizes[r], strides[r]}, all 64-bit words.
struct Descriptor {
  std::vector<int64_t> words;
  explicit Descriptor(size_t rank) : words(3 + 2 * rank, 0) {}
};
} // namespace

bool JitModule::invoke(llvm::StringRef name,
                       llvm::ArrayRef<const HostTensor *> inputs,
                       std::vector<HostTensor> &outputs,
                       std::string &error) const {
  const FunctionSignature *sig = lookup(name);
  if (!sig) {
    error = ("no public function @" + name + " in the module").str();
    if (!fns.empty()) {
      error += "; it has:";
      for (const auto &f : fns)
        error += " @" + f.name;
    }
    return false;
  }
  if (inputs.size() != sig->inputs.size()) {
    error = ("@" + name + " takes " + llvm::Twine(sig->inputs.size()) +
             " inputs, got " + llvm::Twine(inputs.size()))
                .str();
    return false;
  }
  std::vector<Descriptor> inDescs;
  inDescs.reserve(inputs.size());
  for (auto [i, t] : llvm::enumerate(inputs)) {
    const TensorSpec &spec = sig->inputs[i];
    bool ok = t && t->dtype == spec.dtype && t->shape.size() == spec.shape.size();
    for (size_t d = 0; ok && d < spec.shape.size(); ++d)
      ok = spec.shape[d] < 0 || spec.shape[d] == t->shape[d];
    if (!ok) {
      error = ("input #" + llvm::Twine(i) + " of @" + name + " must be " +
               spec.str() + ", got " + (t ? t->describe() : "null"))
                  .str();
      return false;
    }
    Descriptor desc(t->shape.size());
    auto *ptr = const_cast<uint8_t *>(t->data.data());
    desc.words[0] = reinterpret_cast<int64_t>(ptr);
    desc.words[1] = reinterpret_cast<int64_t>(ptr);
    desc.words[2] = 0;
    int64_t stride = 1;
    size_t r = t->shape.size();
    for (size_t d = r; d-- > 0;) {
      desc.words[3 + d] = t->shape[d];
      desc.words[3 + r + d] = stride;
      stride *= t->shape[d];
    }
    inDescs.push_back(std::move(desc));
  }
  // Results: one contiguous struct of descriptors.
  size_t resultWords = 0;
  for (const TensorSpec &s : sig->results)
    resultWords += 3 + 2 * s.shape.size();
  std::vector<int64_t> resultBuf(std::max<size_t>(resultWords, 1), 0);

  std::vector<void *> descPtrs;
  void *resultPtr = resultBuf.data();
  std::vector<void *> args;
  if (!sig->results.empty())
    args.push_back(&resultPtr);
  descPtrs.reserve(inDescs.size());
  for (Descriptor &d : inDescs)
    descPtrs.push_back(d.words.data());
  for (void *&p : descPtrs)
    args.push_back(&p);

  if (llvm::Error err =
          engine->invokePacked(("_mlir_ciface_" + name).str(), args)) {
    error = "invocation of @" + name.str() +
            " failed: " + llvm::toString(std::move(err));
    return false;
  }

  // Copy results out (honouring offsets and strides), then free their
  // buffers once each: public functions return buffers the caller owns.
  std::set<void *> freed;
  // Never free a caller's input, should a result alias one.
  for (const HostTensor *t : inputs)
    freed.insert(const_cast<uint8_t *>(t->data.data()));
  size_t w = 0;
  for (const TensorSpec &spec : sig->results) {
    size_t r = spec.shape.size();
    int64_t *d = resultBuf.data() + w;
    w += 3 + 2 * r;
    std::vector<int64_t> shape(d + 3, d + 3 + r);
    HostTensor out = HostTensor::zeros(spec.dtype, shape);
    size_t es = dtypeSize(spec.dtype);
    auto *base = reinterpret_cast<uint8_t *>(d[1]) + d[2] * es;
    int64_t n = out.numElements();
    std::vector<int64_t> idx(r, 0);
    for (int64_t lin = 0; lin < n; ++lin) {
      int64_t off = 0;
      for (size_t k = 0; k < r; ++k)
        off += idx[k] * d[3 + r + k];
      std::memcpy(out.data.data() + lin * es, base + off * es, es);
      for (size_t k = r; k-- > 0;) {
        if (++idx[k] < shape[k])
          break;
        idx[k] = 0;
      }
    }
    outputs.push_back(std::move(out));
    void *alloc = reinterpret_cast<void *>(d[0]);
    if (alloc && freed.insert(alloc).second)
      _mlir_memref_to_llvm_free(alloc);
  }
  return true;
}
