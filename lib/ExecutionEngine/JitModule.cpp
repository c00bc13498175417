//===- JitModule.cpp - compile lf modules and run them in-process ---------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/ExecutionEngine/JitModule.h"

#include "ObjectCache.h"

#include "dialects/lf/LFDialect.h"
#include "dialects/lf/LFOps.h"
#include "llvm/ADT/TypeSwitch.h"
#include "lightfuse/Driver/Compiler.h"
#include "lightfuse/Driver/Parse.h"
#include "lightfuse/Driver/Registration.h"
#include "lightfuse/Runtime/CudaRuntime.h"
#include "lightfuse/Runtime/Gemm.h"
#include "lightfuse/Runtime/RowNorm.h"
#include "lightfuse/Runtime/Runtime.h"

#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
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

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/MemoryBuffer.h"

#include <unistd.h>
#include "llvm/Support/DynamicLibrary.h"
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

JitModule::JitModule() = default;
JitModule::~JitModule() = default;

const FunctionSignature *JitModule::lookup(llvm::StringRef name) const {
  for (const FunctionSignature &f : fns)
    if (f.name == name)
      return &f;
  return nullptr;
}

/// Loads libomp (the LLVM OpenMP runtime) permanently into the process.
static bool loadOpenMPRuntime(std::string &error) {
  static std::mutex mu;
  static bool loaded = false;
  std::lock_guard<std::mutex> lock(mu);
  if (loaded)
    return true;
  std::string tried;
  for (const char *name : {"libomp.so.5", "libomp.so", LF_LIBOMP_PATH}) {
    if (!*name)
      continue;
    std::string err;
    if (!llvm::sys::DynamicLibrary::LoadLibraryPermanently(name, &err)) {
      loaded = true;
      return true;
    }
    tried += std::string(tried.empty() ? "" : ", ") + name;
  }
  error = "the compiled code runs OpenMP loops (threads != 1) but libomp, "
          "the LLVM OpenMP runtime, cannot be loaded (tried " +
          tried + "): install libomp-22-dev or compile with threads=1";
  return false;
}

static void initLLVMOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

/// The runtime symbols compiled code may call, resolved in-process (the C
/// API library hides them from dlsym).
static llvm::orc::SymbolMap runtimeSymbols(llvm::orc::MangleAndInterner interner) {
  llvm::orc::SymbolMap map;
  auto add = [&](const char *name, auto *fn) {
    map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                           llvm::JITSymbolFlags::Exported};
  };
  add("memrefCopy", &memrefCopy);
  add("_mlir_ciface_lf_gemm_f32", &_mlir_ciface_lf_gemm_f32);
  add("_mlir_ciface_lf_gemm_glu_f32", &_mlir_ciface_lf_gemm_glu_f32);
  add("_mlir_ciface_lf_row_norm_f32", &_mlir_ciface_lf_row_norm_f32);
  add("_mlir_ciface_lf_residual_norm_f32", &_mlir_ciface_lf_residual_norm_f32);
  add("lfParallelRange", &lfParallelRange);
  add("_mlir_memref_to_llvm_alloc", &_mlir_memref_to_llvm_alloc);
  add("_mlir_memref_to_llvm_aligned_alloc",
      &_mlir_memref_to_llvm_aligned_alloc);
  add("_mlir_memref_to_llvm_free", &_mlir_memref_to_llvm_free);
  // The GPU runtime ABI (lightfuse's CUDA driver-API runtime).
  add("mgpuModuleLoad", &mgpuModuleLoad);
  add("mgpuModuleLoadJIT", &mgpuModuleLoadJIT);
  add("mgpuModuleUnload", &mgpuModuleUnload);
  add("mgpuModuleGetFunction", &mgpuModuleGetFunction);
  add("mgpuLaunchKernel", &mgpuLaunchKernel);
  add("mgpuStreamCreate", &mgpuStreamCreate);
  add("mgpuStreamDestroy", &mgpuStreamDestroy);
  add("mgpuStreamSynchronize", &mgpuStreamSynchronize);
  add("mgpuMemAlloc", &mgpuMemAlloc);
  add("mgpuMemFree", &mgpuMemFree);
  add("mgpuMemcpy", &mgpuMemcpy);
  add("mgpuMemset32", &mgpuMemset32);
  add("mgpuMemHostRegisterMemRef", &mgpuMemHostRegisterMemRef);
  add("mgpuMemHostUnregisterMemRef", &mgpuMemHostUnregisterMemRef);
  add("mgpuSetDefaultDevice", &mgpuSetDefaultDevice);
  return map;
}

/// Loads a cached object blob (`<key>.o`, one or more objects back to back,
/// with `<key>.sig`) into a fresh ORC JIT. False (and nothing changed) on
/// any miss or mismatch; the caller then compiles.
bool JitModule::loadCached(const std::string &dir, const std::string &key) {
  std::string base = dir + "/" + key;
  auto sigText = llvm::MemoryBuffer::getFile(base + ".sig");
  auto obj = llvm::MemoryBuffer::getFile(base + ".o");
  if (!sigText || !obj)
    return false;
  std::vector<FunctionSignature> sigs;
  bool openmp = false;
  std::string digest;
  std::vector<size_t> parts;
  if (!parseSignatures((*sigText)->getBuffer(), sigs, openmp, digest, parts) ||
      digest != digestOf((*obj)->getBuffer()))
    return false; // damaged or from an interrupted writer: recompile
  llvm::StringRef blob = (*obj)->getBuffer();
  if (parts.empty())
    parts.push_back(blob.size());
  std::vector<llvm::StringRef> objects;
  size_t at = 0;
  for (size_t n : parts) {
    if (n > blob.size() - at)
      return false;
    objects.push_back(blob.substr(at, n));
    at += n;
  }
  std::string why;
  if (openmp && !loadOpenMPRuntime(why))
    return false;
  return loadObjects(objects, std::move(sigs), why);
}

bool JitModule::loadObjects(llvm::ArrayRef<llvm::StringRef> objects,
                            std::vector<FunctionSignature> sigs,
                            std::string &why) {
  auto fail = [&](llvm::Error err) {
    why = llvm::toString(std::move(err));
    return false;
  };
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb)
    return fail(jtmb.takeError());
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*jtmb).create();
  if (!jit)
    return fail(jit.takeError());
  llvm::orc::JITDylib &jd = (*jit)->getMainJITDylib();
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!process)
    return fail(process.takeError());
  jd.addGenerator(std::move(*process));
  llvm::orc::MangleAndInterner interner((*jit)->getExecutionSession(),
                                        (*jit)->getDataLayout());
  if (auto err = jd.define(llvm::orc::absoluteSymbols(runtimeSymbols(interner))))
    return fail(std::move(err));
  for (llvm::StringRef o : objects)
    if (auto err = (*jit)->addObjectFile(
            llvm::MemoryBuffer::getMemBufferCopy(o, "lightfuse-object")))
      return fail(std::move(err));
  for (FunctionSignature &sig : sigs) {
    auto fn = (*jit)->lookup("_mlir__mlir_ciface_" + sig.name);
    if (!fn)
      return fail(fn.takeError());
    sig.packed = fn->toPtr<void (*)(void **)>();
    auto into = (*jit)->lookup("_mlir__mlir_ciface_" + sig.name + "__into");
    if (into)
      sig.packedInto = into->toPtr<void (*)(void **)>();
    else
      llvm::consumeError(into.takeError());
  }
  objectJit = std::move(*jit);
  fns = std::move(sigs);
  return true;
}

std::unique_ptr<MLIRContext> JitModule::createContext() {
  return lf::createContext();
}

namespace {
/// Holds `source` and collects every diagnostic emitted in `ctx` while it
/// lives, with file:line:col locations into the source.
struct CapturedDiagnostics {
  llvm::SourceMgr sourceMgr;
  std::string text;
  llvm::raw_string_ostream os{text};
  std::unique_ptr<SourceMgrDiagnosticHandler> handler;

  CapturedDiagnostics(MLIRContext &ctx, llvm::StringRef source,
                      llvm::StringRef bufferName) {
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(source, bufferName),
        llvm::SMLoc());
    handler = std::make_unique<SourceMgrDiagnosticHandler>(sourceMgr, &ctx, os);
  }
  OwningOpRef<ModuleOp> parse(MLIRContext &ctx) {
    return lf::parseModule(sourceMgr, &ctx);
  }
  /// "what" followed by the collected diagnostics.
  std::string message(llvm::StringRef what) const {
    return (what + (text.empty() ? "" : ":\n" + text)).str();
  }
};
} // namespace

bool JitModule::verifySource(MLIRContext &ctx, llvm::StringRef source,
                             llvm::StringRef bufferName, std::string &error) {
  CapturedDiagnostics diags(ctx, source, bufferName);
  if (!diags.parse(ctx)) {
    error = diags.message("failed to parse the module");
    return false;
  }
  return true;
}

std::unique_ptr<JitModule> JitModule::compile(llvm::StringRef source,
                                              llvm::StringRef bufferName,
                                              const CompileOptions &options,
                                              std::string &error) {
  initLLVMOnce();
  std::unique_ptr<JitModule> jm(new JitModule());
  // A second process compiling the same source with the same options on the
  // same host and build loads the cached object (LF_CACHE=0 turns it off).
  std::string cacheDir = objectCacheDir(options);
  std::string cacheKey;
  if (!cacheDir.empty()) {
    cacheKey = objectCacheKey(source, options);
    if (jm->loadCached(cacheDir, cacheKey))
      return jm;
  }
  jm->context = createContext();
  MLIRContext &ctx = *jm->context;

  // Collect every diagnostic, with its location, into `error`.
  CapturedDiagnostics diags(ctx, source, bufferName);
  OwningOpRef<ModuleOp> module = diags.parse(ctx);
  auto fail = [&](const llvm::Twine &what) {
    error = diags.message(what.str());
    return nullptr;
  };
  if (!module)
    return fail("failed to parse the module");

  bool gpu = options.target == "nvptx";
  bool defaultPipeline = options.pipeline.empty();
  CompileHooks hooks;
  hooks.afterOptimize = [&] {
    // Only remarks can have been emitted by a successful lf-optimize.
    jm->remarkText = diags.text;
    diags.text.clear();
  };
  std::string summary;
  if (failed(lowerModule(*module, options, CompileStage::LLVM, jm->fns,
                         summary, hooks)))
    return fail(summary);
  // Remarks of the GPU kernel passes (explain) follow lf-optimize's.
  jm->remarkText += diags.text;
  diags.text.clear();

  // OpenMP left in the module (a custom pipeline without
  // lf-convert-openmp-to-runtime; lf-cpu-pipeline leaves none) calls libomp:
  // load it into the process, where the JIT resolves symbols.
  bool usesOpenMP = false;
  module->walk([&](Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == "omp") {
      usesOpenMP = true;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (usesOpenMP) {
    std::string why;
    if (!loadOpenMPRuntime(why))
      return fail(why);
  }

  if (!gpu) {
    // CPU: LLVM compiles the module's partitions in parallel into objects,
    // which a fresh ORC JIT loads (and the cache keeps, back to back).
    std::vector<std::string> objects;
    // LF_COMPILE_THREADS=N caps the compile threads (default: one per core).
    unsigned compileThreads = 0;
    if (const char *t = std::getenv("LF_COMPILE_THREADS"))
      compileThreads = static_cast<unsigned>(std::strtoul(t, nullptr, 10));
    if (failed(compileHostObjects(*module, options, compileThreads, objects,
                                  summary)))
      return fail(summary);
    // Compilation is over: join the context's worker threads now (see
    // below).
    ctx.disableMultithreading();
    std::vector<llvm::StringRef> refs(objects.begin(), objects.end());
    std::string why;
    if (!jm->loadObjects(refs, std::move(jm->fns), why))
      return fail("JIT loading failed: " + why);
    // Only the default pipeline's lf-into-variants makes `__into` entries.
    if (!defaultPipeline || !options.intoVariants)
      for (FunctionSignature &sig : jm->fns)
        sig.packedInto = nullptr;
    if (!cacheDir.empty()) {
      std::string blob;
      std::vector<size_t> parts;
      for (const std::string &o : objects) {
        blob += o;
        parts.push_back(o.size());
      }
      // The object blob first, then the signatures with its digest: a
      // reader never trusts a torn pair.
      std::string base = cacheDir + "/" + cacheKey;
      writeFileAtomically(base + ".o", blob);
      writeFileAtomically(base + ".sig",
                          serializeSignatures(jm->fns, usesOpenMP,
                                              digestOf(blob), parts));
    }
    return jm;
  }

  // GPU modules (embedded kernel images, module constructors) go through
  // MLIR's ExecutionEngine.
  auto tmBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder)
    return fail("cannot detect the host target: " +
                llvm::toString(tmBuilder.takeError()));
  auto tm = tmBuilder->createTargetMachine();
  if (!tm)
    return fail("cannot create a target machine: " +
                llvm::toString(tm.takeError()));
  ExecutionEngineOptions eo;
  // eo.transformer is a function_ref: the callable must outlive create().
  auto transformer = makeOptimizingTransformer(options.optLevel, 0, tm->get());
  eo.transformer = transformer;
  eo.jitCodeGenOptLevel = static_cast<llvm::CodeGenOptLevel>(
      std::min(options.optLevel, 3u));
  eo.enableObjectDump = !cacheDir.empty();
  auto engine = ExecutionEngine::create(*module, eo);
  if (!engine)
    return fail("JIT compilation failed: " +
                llvm::toString(engine.takeError()));
  jm->engine = std::move(*engine);
  // Compilation is over: join the context's worker threads now. A context
  // that still owned them would join threads that do not exist when the
  // module is destroyed in a forked child (a crash in ~MLIRContext).
  ctx.disableMultithreading();
  // The runtime symbols compiled code may call, resolved in-process.
  jm->engine->registerSymbols(runtimeSymbols);
  jm->engine->initialize();
  for (FunctionSignature &sig : jm->fns) {
    auto fn = jm->engine->lookupPacked("_mlir_ciface_" + sig.name);
    if (!fn)
      return fail("JIT lookup of @" + sig.name +
                  " failed: " + llvm::toString(fn.takeError()));
    sig.packed = *fn;
    if (!gpu && defaultPipeline && options.intoVariants) {
      auto into = jm->engine->lookupPacked("_mlir_ciface_" + sig.name + "__into");
      if (into)
        sig.packedInto = *into;
      else
        llvm::consumeError(into.takeError());
    }
  }
  if (!cacheDir.empty()) {
    // Dumped next to its final name and renamed into place, then the
    // signatures with the object's digest: a reader never trusts a torn pair.
    std::string base = cacheDir + "/" + cacheKey;
    llvm::SmallString<256> tmp;
    int fd;
    llvm::sys::fs::create_directories(cacheDir);
    if (!llvm::sys::fs::createUniqueFile(base + ".o.tmp-%%%%%%", fd, tmp)) {
      ::close(fd);
      jm->engine->dumpToObjectFile(tmp);
      auto obj = llvm::MemoryBuffer::getFile(tmp);
      if (obj && !llvm::sys::fs::rename(tmp, base + ".o"))
        writeFileAtomically(
            base + ".sig", serializeSignatures(jm->fns, usesOpenMP,
                                               digestOf((*obj)->getBuffer()),
                                               {}));
      else
        llvm::sys::fs::remove(tmp);
    }
  }
  return jm;
}

/// Writes the ranked memref descriptor {allocated, aligned, offset,
/// sizes[r], strides[r]} of a row-major buffer at `d` (3 + 2r words).
static void fillRowMajorDescriptor(int64_t *d, const void *data,
                                   llvm::ArrayRef<int64_t> shape) {
  size_t r = shape.size();
  d[0] = d[1] = reinterpret_cast<int64_t>(data);
  d[2] = 0;
  int64_t stride = 1;
  for (size_t k = r; k-- > 0;) {
    d[3 + k] = shape[k];
    d[3 + r + k] = stride;
    stride *= shape[k];
  }
}

static bool isContiguous(llvm::ArrayRef<int64_t> shape,
                         llvm::ArrayRef<int64_t> strides) {
  if (strides.empty())
    return true;
  int64_t expect = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] != 1 && strides[d] != expect)
      return false;
    expect *= shape[d];
  }
  return true;
}

/// Copies `n` elements of size `es` laid out by (shape, strides) from `src`
/// into row-major `dst` (or the reverse when `toStrided`).
static void stridedCopy(llvm::ArrayRef<int64_t> shape,
                        llvm::ArrayRef<int64_t> strides, size_t es,
                        const uint8_t *src, uint8_t *dst, bool toStrided) {
  size_t r = shape.size();
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<int64_t> idx(r, 0);
  for (int64_t lin = 0; lin < n; ++lin) {
    int64_t off = 0;
    for (size_t k = 0; k < r; ++k)
      off += idx[k] * strides[k];
    if (toStrided)
      std::memcpy(dst + off * es, src + lin * es, es);
    else
      std::memcpy(dst + lin * es, src + off * es, es);
    for (size_t k = r; k-- > 0;) {
      if (++idx[k] < shape[k])
        break;
      idx[k] = 0;
    }
  }
}

void JitModule::release(ResultBuffer &buffer) {
  if (buffer.allocation && buffer.gpu)
    lfCudaFree(buffer.allocation);
  else if (buffer.allocation)
    _mlir_memref_to_llvm_free(buffer.allocation);
  buffer.allocation = buffer.data = nullptr;
}

bool JitModule::invokeInto(const FunctionSignature &sig,
                           llvm::ArrayRef<TensorRef> inputs,
                           llvm::ArrayRef<TensorRef> outputs,
                           std::vector<ResultBuffer> &results,
                           std::string &error) {
  // The bytes a (possibly strided, possibly negatively strided) view spans.
  auto span = [](const TensorRef &t) {
    auto *p = static_cast<const uint8_t *>(t.data);
    int64_t es = dtypeSize(t.dtype), lo = 0, hi = 0, contiguousStride = 1;
    for (size_t d = t.shape.size(); d-- > 0;) {
      if (t.shape[d] == 0)
        return std::pair{p, p};
      int64_t st = t.strides.empty() ? contiguousStride : t.strides[d];
      int64_t ext = (t.shape[d] - 1) * st;
      (ext < 0 ? lo : hi) += ext;
      contiguousStride *= t.shape[d];
    }
    return std::pair{p + lo * es, p + (hi + 1) * es};
  };
  bool direct = sig.packedInto && outputs.size() == sig.results.size() &&
                inputs.size() == sig.inputs.size();
  for (size_t i = 0; direct && i < outputs.size(); ++i) {
    const TensorRef &o = outputs[i];
    const TensorSpec &spec = sig.results[i];
    direct = o.data && o.dtype == spec.dtype &&
             llvm::equal(o.shape, spec.shape) &&
             isContiguous(o.shape, o.strides);
    // In place only when the kernel cannot read what it writes.
    auto [ob, oe] = span(o);
    for (const TensorRef &t : inputs) {
      auto [ib, ie] = span(t);
      if (direct && t.data && ob < ie && ib < oe)
        direct = false;
    }
    for (size_t j = 0; direct && j < i; ++j) {
      auto [pb, pe] = span(outputs[j]);
      direct = oe <= pb || pe <= ob;
    }
  }
  if (!direct)
    return invokeRaw(sig, inputs, results, error);
  return invokeImpl(sig, sig.packedInto, inputs, outputs, results, error);
}

bool JitModule::invokeRaw(const FunctionSignature &sig,
                          llvm::ArrayRef<TensorRef> inputs,
                          std::vector<ResultBuffer> &results,
                          std::string &error) {
  return invokeImpl(sig, sig.packed, inputs, {}, results, error);
}

/// Calls `entry`: the function's C interface (results returned in a struct)
/// or, with `outputs`, its destination-passing variant (inputs, then the
/// outputs' descriptors; nothing returned).
bool JitModule::invokeImpl(const FunctionSignature &sig,
                           void (*entry)(void **),
                           llvm::ArrayRef<TensorRef> inputs,
                           llvm::ArrayRef<TensorRef> outputs,
                           std::vector<ResultBuffer> &results,
                           std::string &error) {
  if (inputs.size() != sig.inputs.size()) {
    error = ("@" + sig.name + " takes " + llvm::Twine(sig.inputs.size()) +
             " inputs, got " + llvm::Twine(inputs.size()))
                .str();
    return false;
  }
  // Descriptors: {alloc, aligned, offset, sizes[r], strides[r]} per input,
  // all in one buffer; non-contiguous inputs are packed first.
  size_t words = 0;
  for (const TensorRef &t : inputs)
    words += 3 + 2 * t.shape.size();
  llvm::SmallVector<int64_t, 64> desc(words, 0);
  llvm::SmallVector<void *, 16> descPtrs;
  std::vector<std::vector<uint8_t>> packedCopies;
  std::vector<void *> staged; // GPU: managed copies of the inputs
  if (sig.gpu) {
    char msg[512];
    if (!lfCudaProbe(msg, sizeof msg)) {
      error = msg;
      return false;
    }
    lfCudaTakeError(); // a stale error of an earlier call is not ours
  }
  size_t w = 0;
  for (auto [i, t] : llvm::enumerate(inputs)) {
    const TensorSpec &spec = sig.inputs[i];
    bool ok = t.dtype == spec.dtype && t.shape.size() == spec.shape.size() &&
              (t.strides.empty() || t.strides.size() == t.shape.size()) &&
              (t.data || llvm::is_contained(t.shape, 0));
    for (size_t d = 0; ok && d < spec.shape.size(); ++d)
      ok = t.shape[d] >= 0 && (spec.shape[d] < 0 || spec.shape[d] == t.shape[d]);
    if (!ok) {
      std::string got = dtypeName(t.dtype);
      got += "[";
      for (size_t d = 0; d < t.shape.size(); ++d)
        got += (d ? "x" : "") + std::to_string(t.shape[d]);
      got += "]";
      error = ("input #" + llvm::Twine(i) + " of @" + sig.name +
               " must be " + spec.str() + ", got " + got +
               (t.data ? "" : " with no data"))
                  .str();
      return false;
    }
    const void *data = t.data;
    if (sig.gpu) {
      // Kernels read inputs through the GPU: stage a row-major copy in
      // managed memory (freed after the call).
      int64_t n = 1;
      for (int64_t d : t.shape)
        n *= d;
      size_t es = dtypeSize(t.dtype);
      void *dev = lfCudaAllocShared(n * es);
      if (!dev) {
        const char *e = lfCudaTakeError();
        error = e ? e : "cannot allocate GPU memory";
        for (void *p : staged)
          lfCudaFree(p);
        return false;
      }
      staged.push_back(dev);
      if (isContiguous(t.shape, t.strides))
        std::memcpy(dev, data, n * es);
      else
        stridedCopy(t.shape, t.strides, es, static_cast<const uint8_t *>(data),
                    static_cast<uint8_t *>(dev), /*toStrided=*/false);
      lfCudaPrefetchToDevice(dev, n * es);
      data = dev;
    } else if (!isContiguous(t.shape, t.strides)) {
      int64_t n = 1;
      for (int64_t d : t.shape)
        n *= d;
      size_t es = dtypeSize(t.dtype);
      packedCopies.emplace_back(n * es);
      stridedCopy(t.shape, t.strides, es, static_cast<const uint8_t *>(data),
                  packedCopies.back().data(), /*toStrided=*/false);
      data = packedCopies.back().data();
    }
    int64_t *d = desc.data() + w;
    fillRowMajorDescriptor(d, data, t.shape);
    descPtrs.push_back(d);
    w += 3 + 2 * t.shape.size();
  }
  for (const DimConstraint &c : sig.constraints) {
    int64_t a = inputs[c.inputA].shape[c.dimA], b = inputs[c.inputB].shape[c.dimB];
    if (a != b) {
      error = ("@" + sig.name + ": dimension " + llvm::Twine(c.dimA) +
               " of input #" + llvm::Twine(c.inputA) + " (" + llvm::Twine(a) +
               ") must equal dimension " + llvm::Twine(c.dimB) +
               " of input #" + llvm::Twine(c.inputB) + " (" + llvm::Twine(b) +
               "), as " + c.op + " requires")
                  .str();
      return false;
    }
  }
  size_t resultWords = 0;
  for (const TensorSpec &s : sig.results)
    resultWords += 3 + 2 * s.shape.size();
  llvm::SmallVector<int64_t, 32> resultBuf(std::max<size_t>(resultWords, 1), 0);
  void *resultPtr = resultBuf.data();
  llvm::SmallVector<void *, 16> args;
  bool into = !outputs.empty();
  if (!sig.results.empty() && !into)
    args.push_back(&resultPtr);
  for (void *&p : descPtrs)
    args.push_back(&p);
  // Destination-passing: row-major descriptors of the caller's outputs.
  llvm::SmallVector<int64_t, 32> outDesc;
  llvm::SmallVector<void *, 8> outPtrs;
  if (into) {
    for (const TensorRef &o : outputs)
      outDesc.resize(outDesc.size() + 3 + 2 * o.shape.size());
    size_t ow = 0;
    for (const TensorRef &o : outputs) {
      int64_t *d = outDesc.data() + ow;
      fillRowMajorDescriptor(d, o.data, o.shape);
      outPtrs.push_back(d);
      ow += 3 + 2 * o.shape.size();
    }
    for (void *&p : outPtrs)
      args.push_back(&p);
  }
  entry(args.data());
  if (into)
    return true;
  if (sig.gpu) {
    lfCudaSynchronize();
    for (void *p : staged)
      lfCudaFree(p);
    if (const char *e = lfCudaTakeError()) {
      error = "@" + sig.name + " failed on the GPU: " + e;
      return false;
    }
  }

  w = 0;
  for (const TensorSpec &spec : sig.results) {
    size_t r = spec.shape.size();
    int64_t *d = resultBuf.data() + w;
    w += 3 + 2 * r;
    ResultBuffer rb;
    rb.dtype = spec.dtype;
    rb.shape.assign(d + 3, d + 3 + r);
    rb.strides.assign(d + 3 + r, d + 3 + 2 * r);
    rb.data = reinterpret_cast<uint8_t *>(d[1]) + d[2] * dtypeSize(spec.dtype);
    rb.allocation = reinterpret_cast<void *>(d[0]);
    rb.gpu = sig.gpu;
    // Two results may share one buffer (e.g. `return %x, %x`); only the
    // first owns it.
    for (const ResultBuffer &prev : results)
      if (prev.allocation == rb.allocation)
        rb.allocation = nullptr;
    // Never hand out an input's memory as an owned allocation: neither the
    // caller's nor the packed or staged copy the call passed in its place
    // (each input descriptor's allocated pointer, d[0]).
    for (auto [t, in] : llvm::zip(inputs, descPtrs))
      if (rb.allocation == t.data ||
          rb.allocation == reinterpret_cast<void *>(static_cast<int64_t *>(in)[0]))
        rb.allocation = nullptr;
    results.push_back(std::move(rb));
  }
  return true;
}

void JitModule::copyOut(const ResultBuffer &src, const TensorRef &dst) {
  size_t es = dtypeSize(src.dtype);
  auto *out = static_cast<uint8_t *>(const_cast<void *>(dst.data));
  const auto *in = static_cast<const uint8_t *>(src.data);
  if (isContiguous(src.shape, src.strides) &&
      isContiguous(dst.shape, dst.strides)) {
    int64_t n = 1;
    for (int64_t d : src.shape)
      n *= d;
    std::memcpy(out, in, n * es);
    return;
  }
  // Gather to row-major, then scatter to the destination's strides.
  int64_t n = 1;
  for (int64_t d : src.shape)
    n *= d;
  std::vector<uint8_t> tmp(n * es);
  stridedCopy(src.shape, src.strides, es, in, tmp.data(), /*toStrided=*/false);
  if (dst.strides.empty())
    std::memcpy(out, tmp.data(), tmp.size());
  else
    stridedCopy(dst.shape, dst.strides, es, tmp.data(), out,
                /*toStrided=*/true);
}

bool JitModule::invoke(llvm::StringRef name,
                       llvm::ArrayRef<const HostTensor *> inputs,
                       std::vector<HostTensor> &outputs,
                       std::string &error) const {
  const FunctionSignature *sig = lookup(name);
  if (!sig) {
    error = ("no public function @" + name + " in the module").str();
    return false;
  }
  std::vector<TensorRef> refs;
  for (const HostTensor *t : inputs) {
    if (!t) {
      error = "null input";
      return false;
    }
    refs.push_back({t->dtype, t->shape, {}, t->data.data()});
  }
  std::vector<ResultBuffer> results;
  if (!invokeRaw(*sig, refs, results, error))
    return false;
  for (ResultBuffer &rb : results) {
    HostTensor out = HostTensor::zeros(rb.dtype, rb.shape);
    stridedCopy(rb.shape, rb.strides, dtypeSize(rb.dtype),
                static_cast<const uint8_t *>(rb.data), out.data.data(),
                /*toStrided=*/false);
    outputs.push_back(std::move(out));
    release(rb);
  }
  return true;
}
