//===- lf-import-onnx.cpp - ONNX model -> lf MLIR -------------------------===//
//
// Part of lightfuse. Reads an .onnx file and prints the `lf` function it
// imports to, optionally after `lf-recompose` / `lf-optimize`:
//
//   lf-import-onnx model.onnx -o model.mlir
//   lf-import-onnx model.onnx --dim batch=1 --dim seq=512 --optimize
//   lf-import-onnx model.onnx --weights=inline      (dense_resource constants)
//
// Errors (unsupported nodes, shapes that do not match) are printed with the
// node's name and index and exit non-zero.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Driver/Registration.h"
#include "lightfuse/Target/ONNX/ImportONNX.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.onnx>"),
                                      cl::Required);
static cl::opt<std::string> outputPath("o", cl::desc("output file (default stdout)"),
                                       cl::value_desc("file"), cl::init("-"));
static cl::opt<std::string> funcName("func-name",
                                     cl::desc("name of the imported function"),
                                     cl::init(""));
static cl::list<std::string> dims("dim", cl::desc("bind a symbolic dimension: NAME=SIZE"),
                                  cl::value_desc("NAME=SIZE"));
static cl::opt<std::string> weights(
    "weights",
    cl::desc("initializers as 'args' ({lf.weight} arguments, default) or "
             "'inline' (dense_resource constants)"),
    cl::init("args"));
static cl::opt<int64_t> inlineLimit(
    "inline-limit",
    cl::desc("float initializers with at most this many elements are constants"),
    cl::init(16));
static cl::opt<bool> recompose("recompose",
                               cl::desc("run lf-recompose after importing"),
                               cl::init(false));
static cl::opt<bool> optimize("optimize",
                              cl::desc("run lf-optimize (recomposition included)"),
                              cl::init(false));
static cl::opt<bool> elideResources(
    "elide-weights", cl::desc("print large constants as elided resources"),
    cl::init(false));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  lf::registerAllPasses();
  cl::ParseCommandLineOptions(argc, argv, "lightfuse ONNX importer\n");
  auto context = lf::createContext();
  llvm::SourceMgr sm;
  SourceMgrDiagnosticHandler handler(sm, context.get());

  lf::ONNXImportOptions opts;
  opts.funcName = funcName;
  opts.inlineLimit = inlineLimit;
  if (weights == "inline") opts.weights = lf::ONNXImportOptions::Weights::Inline;
  else if (weights != "args") {
    llvm::errs() << "lf-import-onnx: --weights must be 'args' or 'inline', not '"
                 << weights << "'\n";
    return 2;
  }
  for (const std::string &d : dims) {
    auto [name, value] = StringRef(d).split('=');
    int64_t v;
    if (name.empty() || value.getAsInteger(10, v) || v < 0) {
      llvm::errs() << "lf-import-onnx: --dim expects NAME=SIZE, got '" << d << "'\n";
      return 2;
    }
    opts.dims[name] = v;
  }
  auto imported = lf::importONNXFile(inputPath, context.get(), opts);
  if (failed(imported)) return 1;
  ModuleOp module = imported->module.get();
  if (recompose || optimize) {
    PassManager pm(context.get());
    std::string pipeline = optimize ? "lf-optimize" : "canonicalize,func.func(lf-recompose{explain=1}),canonicalize,cse";
    if (failed(parsePassPipeline(pipeline, pm)) || failed(pm.run(module)))
      return 1;
  }
  std::string err;
  auto out = openOutputFile(outputPath, &err);
  if (!out) {
    llvm::errs() << "lf-import-onnx: " << err << "\n";
    return 1;
  }
  OpPrintingFlags flags;
  if (elideResources) flags.elideLargeResourceString(64);
  module->print(out->os(), flags);
  out->keep();
  return 0;
}
