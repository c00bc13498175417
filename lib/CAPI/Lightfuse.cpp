//===- Lightfuse.cpp - lightfuse C API ------------------------------------===//
//
// Part of lightfuse. A thin, defensive layer over JitModule: every entry
// point validates its handles and arguments and reports failures as an
// LfStatus, never by aborting.
//
//===----------------------------------------------------------------------===//

#include "lightfuse-c/Lightfuse.h"

#include "lightfuse/ExecutionEngine/JitModule.h"
#include "lightfuse/Runtime/Runtime.h"
#include "lightfuse/Target/ONNX/ImportONNX.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "lightfuse/Driver/Registration.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::lf;

struct LfStatusImpl {
  std::string message;
};

namespace {
struct ContextImpl {
  std::mutex mu; // guards `mlir` (parsing for verification)
  std::unique_ptr<MLIRContext> mlir = JitModule::createContext();
};
struct WeightImpl {
  std::string name;
  size_t argIndex = 0;
  LfDType dtype = LF_DTYPE_F32;
  std::vector<int64_t> shape;
  std::vector<char> data;
};
struct ModuleImpl {
  std::string source, name;
  std::vector<WeightImpl> weights;
};
struct ExecutableImpl {
  std::unique_ptr<JitModule> jit;
};
struct FunctionImpl; // == FunctionSignature
struct TensorImpl {
  ResultBuffer buffer;
};

/// Returned when even the status cannot be allocated; never deleted.
LfStatusImpl oomStatus{"out of memory"};

LfStatus makeError(std::string msg) {
  auto *s = new (std::nothrow) LfStatusImpl{std::move(msg)};
  return s ? s : &oomStatus;
}

template <typename H>
auto *unwrap(H h) {
  return h.ptr;
}

/// The integer a caller stored in a C enum field. C lets any int through;
/// reading it as the C++ enum type when it is out of the enumerators' range
/// is undefined behaviour, so every enum from the caller is read this way.
template <typename E>
int rawEnum(const E &e) {
  static_assert(sizeof(E) == sizeof(int), "C enums are int-sized here");
  int v;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

bool toDType(const LfDType &dtype, DType &out) {
  switch (rawEnum(dtype)) {
  case LF_DTYPE_F32:
    out = DType::f32;
    return true;
  case LF_DTYPE_F16:
    out = DType::f16;
    return true;
  case LF_DTYPE_BF16:
    out = DType::bf16;
    return true;
  case LF_DTYPE_I64:
    out = DType::i64;
    return true;
  case LF_DTYPE_I32:
    out = DType::i32;
    return true;
  }
  return false;
}

LfDType fromDType(DType d) {
  switch (d) {
  case DType::f32:
    return LF_DTYPE_F32;
  case DType::f16:
    return LF_DTYPE_F16;
  case DType::bf16:
    return LF_DTYPE_BF16;
  case DType::i64:
    return LF_DTYPE_I64;
  case DType::i32:
    return LF_DTYPE_I32;
  }
  return LF_DTYPE_F32;
}

const FunctionSignature *sigOf(LfFunction f) {
  return static_cast<const FunctionSignature *>(f.ptr);
}

/// Converts caller views to TensorRefs, validating what C cannot.
LfStatus toRefs(const LfTensorView *views, size_t n, const char *what,
                std::vector<TensorRef> &refs) {
  if (n && !views)
    return makeError(std::string(what) + " array is NULL");
  for (size_t i = 0; i < n; ++i) {
    const LfTensorView &v = views[i];
    TensorRef r;
    if (!toDType(v.dtype, r.dtype))
      return makeError(std::string(what) + " #" + std::to_string(i) +
                       " has an invalid dtype " + std::to_string(rawEnum(v.dtype)));
    if (v.rank < 0 || (v.rank > 0 && !v.shape))
      return makeError(std::string(what) + " #" + std::to_string(i) +
                       " has a negative rank or a NULL shape");
    r.shape = llvm::ArrayRef<int64_t>(v.shape, v.rank);
    if (v.strides)
      r.strides = llvm::ArrayRef<int64_t>(v.strides, v.rank);
    r.data = v.data;
    refs.push_back(r);
  }
  return nullptr;
}
} // namespace

extern "C" {

const char *lfStatusGetMessage(LfStatus status) {
  return status ? status->message.c_str() : "success";
}

void lfStatusDestroy(LfStatus status) {
  if (status != &oomStatus)
    delete status;
}

size_t lfDTypeSize(LfDType dtype) {
  DType d;
  return toDType(dtype, d) ? dtypeSize(d) : 0;
}

LfStatus lfContextCreate(LfContext *out) {
  if (!out)
    return makeError("lfContextCreate: outContext is NULL");
  out->ptr = new (std::nothrow) ContextImpl();
  return out->ptr ? nullptr : makeError("out of memory");
}

void lfContextDestroy(LfContext context) {
  delete static_cast<ContextImpl *>(context.ptr);
}

LfStatus lfModuleLoadSource(LfContext context, const char *source,
                            size_t length, const char *name, LfModule *out) {
  auto *ctx = static_cast<ContextImpl *>(context.ptr);
  if (!ctx || !out || (!source && length))
    return makeError("lfModuleLoadSource: NULL context, source or outModule");
  out->ptr = nullptr;
  auto mod = std::make_unique<ModuleImpl>();
  mod->source.assign(source ? source : "", length);
  mod->name = name ? name : "<source>";
  std::string error;
  {
    std::lock_guard<std::mutex> lock(ctx->mu);
    if (!JitModule::verifySource(*ctx->mlir, mod->source, mod->name, error))
      return makeError(error);
  }
  out->ptr = mod.release();
  return nullptr;
}

LfStatus lfModuleLoadFile(LfContext context, const char *path,
                          LfModule *out) {
  if (!path || !out)
    return makeError("lfModuleLoadFile: NULL path or outModule");
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buf)
    return makeError(std::string("cannot read '") + path +
                     "': " + buf.getError().message());
  return lfModuleLoadSource(context, (*buf)->getBufferStart(),
                            (*buf)->getBufferSize(), path, out);
}

void lfModuleDestroy(LfModule module) {
  delete static_cast<ModuleImpl *>(module.ptr);
}

LfStatus lfModulePrint(LfModule module, LfStringCallback callback,
                       void *userData) {
  auto *mod = static_cast<ModuleImpl *>(module.ptr);
  if (!mod || !callback)
    return makeError("lfModulePrint: NULL module or callback");
  callback(mod->source.data(), mod->source.size(), userData);
  return nullptr;
}

void lfImportOptionsInit(LfImportOptions *options) {
  if (!options)
    return;
  *options = LfImportOptions{};
  options->inlineLimit = 16;
  options->recompose = 1;
}

LfStatus lfModuleImportONNX(LfContext context, const char *path,
                            const LfImportOptions *options, LfModule *out) {
  auto *ctx = static_cast<ContextImpl *>(context.ptr);
  if (!ctx || !path || !out)
    return makeError("lfModuleImportONNX: NULL context, path or outModule");
  out->ptr = nullptr;
  LfImportOptions o;
  lfImportOptionsInit(&o);
  if (options)
    o = *options;
  ONNXImportOptions io;
  io.weights = o.inlineWeights ? ONNXImportOptions::Weights::Inline
                               : ONNXImportOptions::Weights::Arguments;
  io.inlineLimit = o.inlineLimit;
  if (o.funcName)
    io.funcName = o.funcName;
  if (o.numDims && (!o.dimNames || !o.dimValues))
    return makeError("lfModuleImportONNX: numDims without dimNames/dimValues");
  for (size_t i = 0; i < o.numDims; ++i) {
    if (!o.dimNames[i] || o.dimValues[i] < 0)
      return makeError("lfModuleImportONNX: dimension binding #" +
                       std::to_string(i) + " has no name or a negative size");
    io.dims[o.dimNames[i]] = o.dimValues[i];
  }
  std::lock_guard<std::mutex> lock(ctx->mu);
  std::string diags;
  llvm::raw_string_ostream os(diags);
  ScopedDiagnosticHandler handler(ctx->mlir.get(), [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error ||
        d.getSeverity() == DiagnosticSeverity::Warning) {
      os << d.getLocation() << ": "
         << (d.getSeverity() == DiagnosticSeverity::Error ? "error: "
                                                            : "warning: ")
         << d << "\n";
      for (Diagnostic &n : d.getNotes())
        os << n.getLocation() << ": note: " << n << "\n";
    }
    return success();
  });
  auto imported = importONNXFile(path, ctx->mlir.get(), io);
  if (failed(imported))
    return makeError(diags.empty() ? "ONNX import failed" : diags);
  if (o.recompose) {
    lf::registerAllPasses();
    PassManager pm(ctx->mlir.get());
    if (failed(parsePassPipeline(
            "canonicalize,func.func(lf-recompose),canonicalize,cse", pm)) ||
        failed(pm.run(imported->module.get())))
      return makeError("lf-recompose failed on the imported module:\n" + diags);
  }
  auto mod = std::make_unique<ModuleImpl>();
  mod->name = path;
  llvm::raw_string_ostream ss(mod->source);
  imported->module->print(ss, OpPrintingFlags().enableDebugInfo(true, false));
  for (ONNXWeight &w : imported->weights) {
    WeightImpl wi;
    wi.name = w.name;
    wi.argIndex = w.argNumber;
    Type e = w.type.getElementType();
    wi.dtype = e.isF16() ? LF_DTYPE_F16 : e.isBF16() ? LF_DTYPE_BF16 : LF_DTYPE_F32;
    wi.shape.assign(w.type.getShape().begin(), w.type.getShape().end());
    wi.data = std::move(w.data);
    mod->weights.push_back(std::move(wi));
  }
  out->ptr = mod.release();
  return nullptr;
}

size_t lfModuleGetNumWeights(LfModule module) {
  auto *mod = static_cast<ModuleImpl *>(module.ptr);
  return mod ? mod->weights.size() : 0;
}

LfStatus lfModuleGetWeight(LfModule module, size_t index, LfWeight *out) {
  auto *mod = static_cast<ModuleImpl *>(module.ptr);
  if (!mod || !out)
    return makeError("lfModuleGetWeight: NULL module or outWeight");
  if (index >= mod->weights.size())
    return makeError("lfModuleGetWeight: index " + std::to_string(index) +
                     " out of range (" + std::to_string(mod->weights.size()) +
                     " weights)");
  const WeightImpl &w = mod->weights[index];
  out->name = w.name.c_str();
  out->argIndex = w.argIndex;
  out->rank = static_cast<int32_t>(w.shape.size());
  out->dtype = w.dtype;
  out->shape = w.shape.data();
  out->data = w.data.data();
  return nullptr;
}

void lfCompileOptionsInit(LfCompileOptions *options) {
  if (!options)
    return;
  options->target = LF_TARGET_CPU;
  options->optLevel = 2;
  options->pipeline = nullptr;
  options->dumpDir = nullptr;
  options->optimize = 1;
  options->explain = 0;
  options->chip = nullptr;
  options->threads = 1;
}

LfStatus lfModuleCompile(LfModule module, const LfCompileOptions *options,
                         LfExecutable *out) {
  auto *mod = static_cast<ModuleImpl *>(module.ptr);
  if (!mod || !out)
    return makeError("lfModuleCompile: NULL module or outExecutable");
  out->ptr = nullptr;
  LfCompileOptions defaults;
  lfCompileOptionsInit(&defaults);
  const LfCompileOptions &o = options ? *options : defaults;
  int target = rawEnum(o.target);
  if (target != LF_TARGET_CPU && target != LF_TARGET_NVPTX)
    return makeError("unknown target " + std::to_string(target));
  if (o.optLevel < 0 || o.optLevel > 3)
    return makeError("optLevel must be in [0, 3], got " +
                     std::to_string(o.optLevel));
  if (o.threads < 0)
    return makeError("threads must be >= 0 (1: sequential, 0: the runtime's "
                     "default), got " + std::to_string(o.threads));
  CompileOptions co;
  co.threads = static_cast<unsigned>(o.threads);
  // lfFunctionInvoke computes results in the caller's outputs when it can.
  co.intoVariants = true;
  co.target = o.target == LF_TARGET_NVPTX ? "nvptx" : "cpu";
  if (o.chip)
    co.chip = o.chip;
  co.optLevel = o.optLevel;
  co.optimize = o.optimize != 0;
  co.explain = o.explain != 0;
  if (o.pipeline)
    co.pipeline = o.pipeline;
  if (o.dumpDir)
    co.dumpDir = o.dumpDir;
  std::string error;
  auto jit = JitModule::compile(mod->source, mod->name, co, error);
  if (!jit)
    return makeError(error);
  out->ptr = new ExecutableImpl{std::move(jit)};
  return nullptr;
}

void lfExecutableDestroy(LfExecutable executable) {
  delete static_cast<ExecutableImpl *>(executable.ptr);
}

const char *lfExecutableGetRemarks(LfExecutable executable) {
  auto *exe = static_cast<ExecutableImpl *>(executable.ptr);
  return exe ? exe->jit->remarks().c_str() : "";
}

size_t lfExecutableGetNumFunctions(LfExecutable executable) {
  auto *exe = static_cast<ExecutableImpl *>(executable.ptr);
  return exe ? exe->jit->functions().size() : 0;
}

LfStatus lfExecutableGetFunction(LfExecutable executable, size_t index,
                                 LfFunction *out) {
  auto *exe = static_cast<ExecutableImpl *>(executable.ptr);
  if (!exe || !out)
    return makeError("lfExecutableGetFunction: NULL executable or outFunction");
  if (index >= exe->jit->functions().size())
    return makeError("function index " + std::to_string(index) +
                     " out of range (the executable has " +
                     std::to_string(exe->jit->functions().size()) + ")");
  out->ptr = const_cast<FunctionSignature *>(&exe->jit->functions()[index]);
  return nullptr;
}

LfStatus lfExecutableLookupFunction(LfExecutable executable, const char *name,
                                    LfFunction *out) {
  auto *exe = static_cast<ExecutableImpl *>(executable.ptr);
  if (!exe || !name || !out)
    return makeError(
        "lfExecutableLookupFunction: NULL executable, name or outFunction");
  const FunctionSignature *sig = exe->jit->lookup(name);
  if (!sig) {
    std::string have;
    for (const auto &f : exe->jit->functions())
      have += " @" + f.name;
    return makeError(std::string("no public function @") + name +
                     (have.empty() ? "" : " (the module has:" + have + ")"));
  }
  out->ptr = const_cast<FunctionSignature *>(sig);
  return nullptr;
}

const char *lfFunctionGetName(LfFunction function) {
  return sigOf(function) ? sigOf(function)->name.c_str() : "";
}

size_t lfFunctionGetNumInputs(LfFunction function) {
  return sigOf(function) ? sigOf(function)->inputs.size() : 0;
}

size_t lfFunctionGetNumResults(LfFunction function) {
  return sigOf(function) ? sigOf(function)->results.size() : 0;
}

static LfStatus getType(LfFunction function, size_t index, bool input,
                        LfTensorType *out) {
  const FunctionSignature *sig = sigOf(function);
  if (!sig || !out)
    return makeError("NULL function or outType");
  const auto &list = input ? sig->inputs : sig->results;
  if (index >= list.size())
    return makeError(std::string(input ? "input" : "result") + " index " +
                     std::to_string(index) + " out of range for @" +
                     sig->name);
  out->dtype = fromDType(list[index].dtype);
  out->rank = static_cast<int32_t>(list[index].shape.size());
  out->shape = list[index].shape.data();
  return nullptr;
}

LfStatus lfFunctionGetInputType(LfFunction function, size_t index,
                                LfTensorType *out) {
  return getType(function, index, /*input=*/true, out);
}

LfStatus lfFunctionGetResultType(LfFunction function, size_t index,
                                 LfTensorType *out) {
  return getType(function, index, /*input=*/false, out);
}

static bool run(const FunctionSignature &sig, llvm::ArrayRef<TensorRef> refs,
                std::vector<ResultBuffer> &results, std::string &error) {
  return JitModule::invokeRaw(sig, refs, results, error);
}

LfStatus lfFunctionInvokeAlloc(LfFunction function, const LfTensorView *inputs,
                               size_t numInputs, LfTensor *outResults,
                               size_t numResults) {
  const FunctionSignature *sig = sigOf(function);
  if (!sig)
    return makeError("lfFunctionInvokeAlloc: NULL function");
  if (numResults != sig->results.size() || (numResults && !outResults))
    return makeError("@" + sig->name + " has " +
                     std::to_string(sig->results.size()) +
                     " results, but room for " + std::to_string(numResults) +
                     " was given");
  std::vector<TensorRef> refs;
  if (LfStatus s = toRefs(inputs, numInputs, "input", refs))
    return s;
  std::vector<ResultBuffer> results;
  std::string error;
  if (!run(*sig, refs, results, error))
    return makeError(error);
  for (size_t i = 0; i < results.size(); ++i)
    outResults[i].ptr = new TensorImpl{std::move(results[i])};
  return nullptr;
}

LfStatus lfFunctionInvoke(LfFunction function, const LfTensorView *inputs,
                          size_t numInputs, const LfTensorView *outputs,
                          size_t numOutputs) {
  const FunctionSignature *sig = sigOf(function);
  if (!sig)
    return makeError("lfFunctionInvoke: NULL function");
  if (numOutputs != sig->results.size())
    return makeError("@" + sig->name + " has " +
                     std::to_string(sig->results.size()) + " results, got " +
                     std::to_string(numOutputs) + " outputs");
  std::vector<TensorRef> refs, outs;
  if (LfStatus s = toRefs(inputs, numInputs, "input", refs))
    return s;
  if (LfStatus s = toRefs(outputs, numOutputs, "output", outs))
    return s;
  std::vector<ResultBuffer> results;
  std::string error;
  if (!JitModule::invokeInto(*sig, refs, outs, results, error))
    return makeError(error);
  // Computed in place: nothing to copy.
  LfStatus status = nullptr;
  for (size_t i = 0; i < results.size(); ++i) {
    ResultBuffer &rb = results[i];
    const TensorRef &o = outs[i];
    bool ok = o.dtype == rb.dtype && o.shape.size() == rb.shape.size() &&
              (o.data || llvm::is_contained(rb.shape, 0));
    for (size_t d = 0; ok && d < rb.shape.size(); ++d)
      ok = o.shape[d] == rb.shape[d];
    if (!ok && !status) {
      TensorSpec want{rb.dtype, rb.shape};
      TensorSpec got{o.dtype, std::vector<int64_t>(o.shape.begin(), o.shape.end())};
      status = makeError("output #" + std::to_string(i) + " of @" +
                         sig->name + " must be " + want.str() + ", got " +
                         got.str() + (o.data ? "" : " with no data"));
    }
    if (ok)
      JitModule::copyOut(rb, o);
  }
  // Released only after every copy: two results may share one buffer
  // (`return %x, %x`), owned by the first (a use after free before).
  for (ResultBuffer &rb : results)
    JitModule::release(rb);
  return status;
}

void lfTensorGetView(LfTensor tensor, LfTensorView *out) {
  auto *t = static_cast<TensorImpl *>(tensor.ptr);
  if (!out)
    return;
  if (!t) {
    *out = LfTensorView{LF_DTYPE_F32, 0, nullptr, nullptr, nullptr};
    return;
  }
  out->dtype = fromDType(t->buffer.dtype);
  out->rank = static_cast<int32_t>(t->buffer.shape.size());
  out->shape = t->buffer.shape.data();
  out->strides = t->buffer.strides.data();
  out->data = t->buffer.data;
}

int lfTensorOwnsData(LfTensor tensor) {
  auto *t = static_cast<TensorImpl *>(tensor.ptr);
  // invokeImpl leaves `allocation` set only for the first result of each
  // buffer and never for an input's memory.
  return t && t->buffer.allocation && !t->buffer.gpu ? 1 : 0;
}

void lfTensorDestroy(LfTensor tensor) {
  auto *t = static_cast<TensorImpl *>(tensor.ptr);
  if (!t)
    return;
  JitModule::release(t->buffer);
  delete t;
}

} // extern "C"
