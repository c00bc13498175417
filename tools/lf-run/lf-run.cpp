//===- lf-run.cpp - JIT-compile an lf module and run one function ---------===//
//
// Part of lightfuse.
//
//   lf-run FILE.mlir --entry FN [--input PATH.npy ...]
//          [--random-inputs --seed N --dynamic-size N] [--output-dir DIR]
//
// Writes each result as DIR/result<i>.npy and prints one summary line per
// result. Exits non-zero with a message on any error.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Runtime/CudaRuntime.h"
#include "lightfuse/ExecutionEngine/JitModule.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>
#include <random>

using namespace mlir::lf;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<file.mlir>"),
                                      cl::init(""));
static cl::opt<std::string> entry("entry", cl::desc("Function to run (required)"),
                                  cl::init(""));
static cl::list<std::string> inputs("input",
                                    cl::desc("Input .npy file, in argument "
                                             "order (repeat per argument)"));
static cl::opt<bool> randomInputs(
    "random-inputs",
    cl::desc("Generate inputs uniformly in [-1, 1) instead of --input"));
static cl::opt<unsigned> seed("seed", cl::desc("Seed for --random-inputs"),
                              cl::init(0));
static cl::opt<int64_t> dynamicSize(
    "dynamic-size",
    cl::desc("Size of every dynamic dimension with --random-inputs"),
    cl::init(8));
static cl::opt<std::string> outputDir("output-dir",
                                      cl::desc("Directory for result<i>.npy"),
                                      cl::init("."));
static cl::opt<bool> noWrite("no-write",
                             cl::desc("Do not write result files"));
static cl::opt<unsigned> optLevel("O", cl::desc("JIT optimization level"),
                                  cl::init(2));
static cl::opt<bool> noOptimize(
    "no-optimize",
    cl::desc("Skip lf-optimize (graph folding); lower the graph as written"));
static cl::opt<bool> explainOpt(
    "explain",
    cl::desc("Print why each declined lf-optimize rewrite was declined"));
static cl::opt<std::string> pipeline(
    "pass-pipeline",
    cl::desc("Textual pipeline replacing the default lf-cpu-pipeline"),
    cl::init(""));
static cl::opt<std::string> dumpDir(
    "dump-dir", cl::desc("Write the IR after every pass into this directory "
                         "(also LF_DUMP_DIR)"),
    cl::init(""));

static cl::opt<std::string> target(
    "target", cl::desc("cpu (default) or nvptx (an NVIDIA GPU through the "
                       "CUDA driver)"),
    cl::init("cpu"));
static cl::opt<std::string> chip("chip",
                                 cl::desc("nvptx: GPU architecture of the PTX"),
                                 cl::init("sm_80"));
static cl::opt<unsigned> threads(
    "cpu-threads",
    cl::desc("cpu: threads of each call, for the generated parallel loops "
             "and the GEMM / norm kernels, on the runtime's thread pool (1: "
             "sequential; N > 1: N threads; 0: LF_NUM_THREADS, "
             "OMP_NUM_THREADS, else one per core)"),
    cl::init(1));
static cl::opt<bool> cudaProbe(
    "cuda-probe",
    cl::desc("Exit 0 if a CUDA device is usable, else print why and exit 1"));

static int fail(const llvm::Twine &msg) {
  llvm::errs() << "lf-run: error: " << msg << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "lightfuse JIT runner\n");
  if (cudaProbe) {
    char msg[512];
    if (!lfCudaProbe(msg, sizeof msg))
      return fail(msg);
    llvm::outs() << "CUDA device 0 is usable\n";
    return 0;
  }
  if (inputFile.empty())
    return fail("no input file (usage: lf-run FILE.mlir --entry NAME ...)");
  if (entry.empty())
    return fail("--entry NAME is required (the function to run)");

  auto buf = llvm::MemoryBuffer::getFileOrSTDIN(inputFile);
  if (!buf)
    return fail("cannot read '" + inputFile + "': " +
                buf.getError().message());
  CompileOptions opts;
  opts.optLevel = optLevel;
  opts.target = target;
  opts.chip = chip;
  opts.threads = threads;
  opts.pipeline = pipeline;
  opts.optimize = !noOptimize;
  opts.explain = explainOpt;
  opts.dumpDir = dumpDir;
  if (opts.dumpDir.empty())
    if (const char *d = std::getenv("LF_DUMP_DIR"))
      opts.dumpDir = d;
  std::string error;
  auto jm = JitModule::compile((*buf)->getBuffer(), inputFile, opts, error);
  if (!jm)
    return fail(error);
  if (explainOpt)
    llvm::errs() << jm->remarks();
  const FunctionSignature *sig = jm->lookup(entry);
  if (!sig) {
    std::string have;
    for (const auto &f : jm->functions())
      have += " @" + f.name;
    return fail("no public function @" + entry + " in '" + inputFile + "'" +
                (have.empty() ? "" : " (it has:" + have + ")"));
  }

  std::vector<HostTensor> args;
  if (randomInputs) {
    if (!inputs.empty())
      return fail("--random-inputs and --input are mutually exclusive");
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (const TensorSpec &s : sig->inputs) {
      std::vector<int64_t> shape;
      for (int64_t d : s.shape)
        shape.push_back(d < 0 ? int64_t(dynamicSize) : d);
      HostTensor t = HostTensor::zeros(s.dtype, shape);
      for (int64_t i = 0, n = t.numElements(); i < n; ++i)
        t.set(i, dist(rng));
      args.push_back(std::move(t));
    }
  } else {
    if (inputs.size() != sig->inputs.size())
      return fail("@" + entry + " takes " + llvm::Twine(sig->inputs.size()) +
                  " inputs, got " + llvm::Twine(inputs.size()) +
                  " --input files");
    for (auto [i, path] : llvm::enumerate(inputs)) {
      auto t = readNpy(path, error);
      if (!t)
        return fail(error);
      // NumPy has no bfloat16: bf16 arguments are read from f32 files.
      DType want = sig->inputs[i].dtype;
      if (want == DType::bf16 && t->dtype == DType::f32)
        t = t->convertTo(DType::bf16);
      args.push_back(std::move(*t));
    }
  }
  std::vector<const HostTensor *> argPtrs;
  for (const HostTensor &t : args)
    argPtrs.push_back(&t);

  std::vector<HostTensor> results;
  if (!jm->invoke(entry, argPtrs, results, error))
    return fail(error);

  if (!noWrite)
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create '" + outputDir + "': " + ec.message());
  for (auto [i, r] : llvm::enumerate(results)) {
    double mn = INFINITY, mx = -INFINITY, sum = 0;
    int64_t nonFinite = 0, n = r.numElements();
    for (int64_t k = 0; k < n; ++k) {
      float v = r.at(k);
      if (!std::isfinite(v)) {
        ++nonFinite;
        continue;
      }
      mn = std::min<double>(mn, v);
      mx = std::max<double>(mx, v);
      sum += v;
    }
    llvm::SmallString<128> path(outputDir);
    llvm::sys::path::append(path, "result" + std::to_string(i) + ".npy");
    llvm::outs() << "result" << i << ": " << r.describe();
    if (n > nonFinite)
      llvm::outs() << llvm::format(" min=%.6g max=%.6g mean=%.6g", mn, mx,
                                   sum / double(n - nonFinite));
    if (nonFinite)
      llvm::outs() << " non-finite=" << nonFinite;
    if (!noWrite) {
      if (!writeNpy(path, r, error))
        return fail(error);
      llvm::outs() << " -> " << path;
    }
    llvm::outs() << "\n";
  }
  return 0;
}
