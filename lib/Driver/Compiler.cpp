//===- Compiler.cpp - the one compile sequence of lightfuse ---------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Driver/Compiler.h"

#include "lightfuse/Codegen/CPU/Pipelines.h"
#include "lightfuse/Codegen/GPU/Pipelines.h"
#include "lightfuse/Driver/Registration.h"
#include "lightfuse/Transforms/Pipelines.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Threading.h"
#include "llvm/Transforms/Utils/SplitModule.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <cctype>
#include <thread>

using namespace mlir;
using namespace mlir::lf;

/// sm_<NN>[a|f] for an architecture LLVM's NVPTX backend knows and the
/// kernels can target (warp shuffles with sync masks: sm_60 and later). An
/// unknown architecture used to abort in instruction selection.
static bool isNvidiaChip(llvm::StringRef chip) {
  static const int known[] = {60, 61, 62, 70, 72, 75, 80, 86, 87, 88, 89,
                              90, 100, 101, 103, 110, 120, 121};
  if (!chip.consume_front("sm_") || chip.empty())
    return false;
  size_t digits = 0;
  while (digits < chip.size() && std::isdigit(chip[digits]))
    ++digits;
  unsigned arch;
  if (digits < 2 || chip.take_front(digits).getAsInteger(10, arch) ||
      !llvm::is_contained(known, static_cast<int>(arch)))
    return false;
  llvm::StringRef rest = chip.drop_front(digits);
  return rest.empty() || rest == "a" || rest == "f";
}

std::string lf::validateCompileOptions(const CompileOptions &o) {
  if (o.target != "cpu" && o.target != "nvptx")
    return "unknown target '" + o.target + "' (expected cpu or nvptx)";
  if (o.target == "nvptx" && !isNvidiaChip(o.chip))
    return "'" + o.chip +
           "' is not an NVIDIA architecture the NVPTX backend supports (sm_60 "
           "to sm_121, e.g. sm_80, sm_90, sm_90a)";
  if (o.optLevel > 3)
    return "optimization level " + std::to_string(o.optLevel) +
           " is not 0-3";
  return "";
}

/// Accepts both "a,b" and "builtin.module(a,b)".
static llvm::StringRef modulePipelineBody(llvm::StringRef p) {
  llvm::StringRef t = p.trim();
  if (t.consume_front("builtin.module(") && t.consume_back(")"))
    return t;
  return p;
}

LogicalResult lf::lowerModule(ModuleOp module, const CompileOptions &options,
                              CompileStage stage,
                              std::vector<FunctionSignature> &signatures,
                              std::string &error, const CompileHooks &hooks) {
  MLIRContext *ctx = module.getContext();
  auto fail = [&](const llvm::Twine &what) {
    error = what.str();
    return failure();
  };
  std::string invalid = validateCompileOptions(options);
  if (!invalid.empty())
    return fail(invalid);
  bool gpu = options.target == "nvptx";
  if (stage == CompileStage::GPUKernels && !gpu)
    return fail("the GPU kernel stage needs the nvptx target");
  auto configure = [&](PassManager &pm) -> LogicalResult {
    if (!options.dumpDir.empty()) {
      llvm::sys::fs::create_directories(options.dumpDir);
      ctx->disableMultithreading();
      pm.enableIRPrintingToFileTree(
          [](Pass *, Operation *) { return false; },
          [](Pass *, Operation *) { return true; },
          /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false,
          /*printAfterOnlyOnFailure=*/false, options.dumpDir);
    }
    return hooks.configure ? hooks.configure(pm) : success();
  };

  // lf-optimize runs first, on its own, when the default pipeline is used:
  // it may add functions (<fn>_prepare / <fn>_prepared), and signatures are
  // read from the tensor-level functions after it.
  bool defaultPipeline = options.pipeline.empty();
  if (defaultPipeline && options.optimize) {
    PassManager opt(ctx);
    if (failed(configure(opt)))
      return fail("invalid pass manager options");
    std::function<void(OpPassManager &)> beforeHoist;
    if (!gpu)
      beforeHoist = [&](OpPassManager &p) {
        addCPUPreLowering(p, options.ukernels, options.threads);
      };
    buildOptimizePipeline(opt, options.explain, beforeHoist);
    if (failed(opt.run(module)))
      return fail("lf-optimize failed");
    if (hooks.afterOptimize)
      hooks.afterOptimize();
  }
  if (!collectSignatures(module, signatures))
    return fail("unsupported function signature");
  for (FunctionSignature &sig : signatures)
    sig.gpu = gpu;

  PassManager pm(ctx);
  if (failed(configure(pm)))
    return fail("invalid pass manager options");
  if (!defaultPipeline) {
    // A custom pipeline may name any lightfuse or upstream pass; registered
    // here, not up front (it costs tens of ms, which a cached compile skips).
    registerAllPasses();
    std::string parseErrors;
    llvm::raw_string_ostream os(parseErrors);
    if (failed(parsePassPipeline(modulePipelineBody(options.pipeline), pm,
                                 os))) {
      module.emitError() << parseErrors;
      return fail("invalid pass pipeline '" + options.pipeline + "'");
    }
  } else if (stage == CompileStage::Linalg) {
    buildLowerToLinalgPipeline(pm);
  } else if (gpu) {
    GPUPipelineOptions o;
    o.optimize = false; // ran above when requested
    o.emitCInterface = true;
    o.chip = options.chip;
    o.rowKernels = options.rowKernels;
    o.attentionKernels = options.attentionKernels;
    o.gemmKernels = options.gemmKernels;
    o.explain = options.explain;
    if (stage == CompileStage::GPUKernels)
      buildLowerToGPUPipeline(pm, o);
    else
      buildGPUPipeline(pm, o);
  } else {
    CPUPipelineOptions o;
    o.optimize = false; // ran above when requested
    o.threads = options.threads;
    o.intoVariants = options.intoVariants;
    o.ukernels = options.ukernels;
    buildCPUPipeline(pm, o);
  }
  if (failed(pm.run(module)))
    return fail(gpu ? "lowering to the GPU failed"
                    : "lowering to the CPU failed");
  return success();
}

std::string lf::extractKernelImage(ModuleOp module) {
  // One gpu.module (lf-gpu-merge-modules), so one image.
  std::string image;
  module->walk([&](gpu::BinaryOp bin) {
    for (Attribute a : bin.getObjects())
      if (auto obj = dyn_cast<gpu::ObjectAttr>(a))
        image += obj.getObject().getValue().str();
  });
  // Serialized PTX is NUL-terminated for the driver.
  while (!image.empty() && image.back() == '\0')
    image.pop_back();
  return image;
}

/// A target machine for the host (or `cpu`, for emitted objects) at
/// options.optLevel.
static llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
hostTargetMachine(const CompileOptions &options, llvm::StringRef cpu, bool pic) {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  if (!cpu.empty())
    builder->setCPU(cpu.str());
  if (pic)
    builder->setRelocationModel(llvm::Reloc::PIC_);
  builder->setCodeGenOptLevel(
      static_cast<llvm::CodeGenOptLevel>(std::min(options.optLevel, 3u)));
  return builder->createTargetMachine();
}

/// Sets `m`'s data layout and triple for `tm` and runs LLVM's optimization
/// pipeline at `optLevel`.
static llvm::Error optimizeFor(llvm::Module &m, llvm::TargetMachine &tm,
                               unsigned optLevel) {
  m.setDataLayout(tm.createDataLayout());
  m.setTargetTriple(tm.getTargetTriple());
  return makeOptimizingTransformer(optLevel, 0, &tm)(&m);
}

/// Code generation of `m` for `tm` into `os`.
static llvm::Error emitFile(llvm::Module &m, llvm::TargetMachine &tm,
                            llvm::raw_pwrite_stream &os,
                            llvm::CodeGenFileType type) {
  llvm::legacy::PassManager codegen;
  if (tm.addPassesToEmitFile(codegen, os, nullptr, type))
    return llvm::createStringError("the target cannot emit this file type");
  codegen.run(m);
  return llvm::Error::success();
}

LogicalResult lf::emitHostCode(ModuleOp module, const CompileOptions &options,
                               HostOutput kind, llvm::raw_pwrite_stream &os,
                               std::string &error) {
  auto fail = [&](const llvm::Twine &what) {
    error = what.str();
    return failure();
  };
  // Export only the C interface: the exploded-argument functions it wraps
  // become internal, so an object never defines `main` or another name the
  // program linking it may use.
  for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
    if (!fn.isExternal() &&
        module.lookupSymbol("_mlir_ciface_" + fn.getName().str()))
      fn.setLinkage(LLVM::Linkage::Internal);

  auto tm = hostTargetMachine(options, options.cpu, /*pic=*/true);
  if (!tm)
    return fail(llvm::toString(tm.takeError()));
  llvm::LLVMContext llvmCtx;
  auto llvmModule = translateModuleToLLVMIR(module, llvmCtx);
  if (!llvmModule)
    return fail("translation to LLVM IR failed");
  if (auto err = optimizeFor(*llvmModule, **tm, std::min(options.optLevel, 3u)))
    return fail("LLVM optimization failed: " + llvm::toString(std::move(err)));
  if (kind == HostOutput::LLVMIR) {
    llvmModule->print(os, nullptr);
    return success();
  }
  if (auto err = emitFile(*llvmModule, **tm, os,
                          kind == HostOutput::Assembly
                              ? llvm::CodeGenFileType::AssemblyFile
                              : llvm::CodeGenFileType::ObjectFile))
    return fail(llvm::toString(std::move(err)));
  return success();
}

/// `_mlir_<fn>(void **args)` for each `_mlir_ciface_<fn>`: loads argument i
/// through args[i] and stores a non-void result through args[n]
/// (mlir::ExecutionEngine's packed calling convention, which JitModule
/// invokes).
static void addPackedWrappers(llvm::Module &m) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::IRBuilder<> b(ctx);
  std::vector<llvm::Function *> entries;
  for (llvm::Function &f : m)
    if (!f.isDeclaration() && f.getName().starts_with("_mlir_ciface_"))
      entries.push_back(&f);
  for (llvm::Function *f : entries) {
    auto *ty = llvm::FunctionType::get(b.getVoidTy(), b.getPtrTy(), false);
    auto *w = llvm::Function::Create(ty, llvm::GlobalValue::ExternalLinkage,
                                     "_mlir_" + f->getName(), m);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", w));
    llvm::Value *list = w->getArg(0);
    llvm::SmallVector<llvm::Value *> args;
    for (llvm::Argument &a : f->args()) {
      llvm::Value *slot = b.CreateGEP(b.getPtrTy(), list, b.getInt64(a.getArgNo()));
      args.push_back(b.CreateLoad(a.getType(), b.CreateLoad(b.getPtrTy(), slot)));
    }
    llvm::Value *r = b.CreateCall(f, args);
    if (!r->getType()->isVoidTy()) {
      llvm::Value *slot = b.CreateGEP(b.getPtrTy(), list, b.getInt64(f->arg_size()));
      b.CreateStore(r, b.CreateLoad(b.getPtrTy(), slot));
    }
    b.CreateRetVoid();
  }
}

/// Optimizes `m` and compiles it into an object (`out`) with `tm`, the
/// caller's own (a TargetMachine is not shared across threads).
static llvm::Error optimizeToObject(llvm::Module &m, llvm::TargetMachine &tm,
                                    unsigned optLevel, std::string &out) {
  if (auto err = optimizeFor(m, tm, optLevel))
    return err;
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  if (auto err = emitFile(m, tm, os, llvm::CodeGenFileType::ObjectFile))
    return err;
  out.assign(buffer.begin(), buffer.end());
  return llvm::Error::success();
}

LogicalResult lf::compileHostObjects(ModuleOp module,
                                     const CompileOptions &options,
                                     unsigned threads,
                                     std::vector<std::string> &objects,
                                     std::string &error) {
  unsigned optLevel = std::min(options.optLevel, 3u);
  auto makeTM = [&] { return hostTargetMachine(options, /*cpu=*/"", /*pic=*/false); };
  llvm::LLVMContext llvmCtx;
  auto llvmModule = translateModuleToLLVMIR(module, llvmCtx);
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return failure();
  }
  addPackedWrappers(*llvmModule);

  if (threads == 0)
    threads = llvm::hardware_concurrency().compute_thread_count();
  unsigned defined = 0;
  for (llvm::Function &f : *llvmModule)
    defined += !f.isDeclaration();
  unsigned parts = std::max(1u, std::min(threads, defined / 2));
  if (parts == 1) {
    auto tm = makeTM();
    if (!tm) {
      error = "cannot create a target machine: " + llvm::toString(tm.takeError());
      return failure();
    }
    objects.emplace_back();
    if (auto err = optimizeToObject(*llvmModule, **tm, optLevel, objects.back())) {
      error = "LLVM compilation failed: " + llvm::toString(std::move(err));
      return failure();
    }
    return success();
  }

  // Partitions travel to their threads as bitcode: each thread owns an
  // LLVMContext (contexts are not thread-safe).
  std::vector<std::string> bitcode;
  llvm::SplitModule(
      *llvmModule, parts,
      [&](std::unique_ptr<llvm::Module> part) {
        std::string bc;
        llvm::raw_string_ostream os(bc);
        llvm::WriteBitcodeToFile(*part, os);
        bitcode.push_back(std::move(bc));
      },
      /*PreserveLocals=*/false, /*RoundRobin=*/true);
  objects.assign(bitcode.size(), std::string());
  std::vector<std::string> errors(bitcode.size());
  auto work = [&](size_t i) {
    llvm::LLVMContext ctx;
    auto m = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(bitcode[i], "partition"), ctx);
    if (!m) {
      errors[i] = llvm::toString(m.takeError());
      return;
    }
    auto tm = makeTM();
    if (!tm) {
      errors[i] = llvm::toString(tm.takeError());
      return;
    }
    if (auto err = optimizeToObject(**m, **tm, optLevel, objects[i]))
      errors[i] = llvm::toString(std::move(err));
  };
  std::vector<std::thread> pool;
  for (size_t i = 1; i < bitcode.size(); ++i)
    pool.emplace_back(work, i);
  work(0);
  for (std::thread &t : pool)
    t.join();
  for (const std::string &e : errors)
    if (!e.empty()) {
      error = "LLVM compilation failed: " + e;
      return failure();
    }
  return success();
}
