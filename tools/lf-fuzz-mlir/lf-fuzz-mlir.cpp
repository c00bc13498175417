//===- lf-fuzz-mlir.cpp - libFuzzer target of the compiler on MLIR text ---===//
//
// Part of lightfuse. Feeds mutated MLIR text through what a user's module
// goes through, up to a stage chosen by LF_FUZZ_MODE:
//   parse     parse + verify (the nesting bound of lf::parseModule included)
//   optimize  + lf-optimize (the IR after it must verify)
//   cpu       + the CPU pipeline to the LLVM dialect and LLVM IR
//   gpu       + the GPU pipeline to PTX (NVPTX backend, no device)
// Any input must either compile or fail with a diagnostic: a crash, a
// sanitizer report, a hang (libFuzzer's -timeout) or IR that stops verifying
// after a pass is a bug. The custom mutator edits the text the way a user's
// mistakes do (lines deleted, repeated or swapped; numbers, element types,
// op names and SSA values replaced), with libFuzzer's byte mutations for the
// rest. Built with -DLF_ENABLE_FUZZERS=ON; run by scripts/fuzz.sh, whose
// seeds are the test suite's and the examples' .mlir files.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Driver/Compiler.h"
#include "lightfuse/Driver/Parse.h"
#include "lightfuse/Driver/Registration.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace mlir;

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

namespace {
enum class Mode { Parse, Optimize, CPU, GPU };
Mode mode = Mode::CPU;
std::vector<std::string> opNames; // lf ops, for op-name replacement

std::unique_ptr<MLIRContext> &context() {
  static std::unique_ptr<MLIRContext> ctx;
  return ctx;
}

MLIRContext *freshContextEvery(unsigned n) {
  static unsigned uses = 0;
  auto &ctx = context();
  if (!ctx || ++uses % n == 0) {
    ctx = lf::createContext();
    ctx->disableMultithreading();
  }
  return ctx.get();
}
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *m = std::getenv("LF_FUZZ_MODE");
  std::string s = m ? m : "cpu";
  if (s == "parse")
    mode = Mode::Parse;
  else if (s == "optimize")
    mode = Mode::Optimize;
  else if (s == "cpu")
    mode = Mode::CPU;
  else if (s == "gpu")
    mode = Mode::GPU;
  else {
    std::fprintf(stderr, "LF_FUZZ_MODE must be parse, optimize, cpu or gpu\n");
    std::exit(2);
  }
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  lf::registerAllPasses();
  for (RegisteredOperationName op :
       freshContextEvery(1)->getRegisteredOperations())
    if (op.getStringRef().starts_with("lf."))
      opNames.push_back(op.getStringRef().str());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A context per 64 inputs bounds the growth of uniqued types/attributes.
  MLIRContext *ctx = freshContextEvery(64);
  ScopedDiagnosticHandler quiet(ctx, [](Diagnostic &) { return success(); });
  llvm::SourceMgr sm;
  sm.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module = lf::parseModule(sm, ctx);
  if (!module || mode == Mode::Parse)
    return 0;
  if (mode == Mode::Optimize) {
    PassManager pm(ctx);
    pm.enableVerifier(false); // checked once at the end instead
    if (failed(parsePassPipeline("builtin.module(lf-optimize)", pm)))
      std::abort();
    if (succeeded(pm.run(*module)) && failed(verify(*module)))
      std::abort(); // lf-optimize built invalid IR without saying so
    return 0;
  }
  lf::CompileOptions opts;
  if (mode == Mode::GPU) {
    opts.target = "nvptx";
    opts.chip = "sm_80";
  }
  std::vector<lf::FunctionSignature> sigs;
  std::string error;
  if (failed(lf::lowerModule(*module, opts, lf::CompileStage::LLVM, sigs,
                             error)))
    return 0;
  if (mode == Mode::CPU) {
    // Translation may refuse what the pipeline left (gpu.launch in a CPU
    // module, say) with a diagnostic, as the JIT reports it; only a crash
    // counts.
    llvm::LLVMContext llvmCtx;
    (void)translateModuleToLLVMIR(*module, llvmCtx);
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Text-aware mutations
//===----------------------------------------------------------------------===//

namespace {
struct Span {
  size_t begin, end;
};

/// Spans of the text matching `pred`-started tokens: numbers, identifiers
/// after '%', words.
std::vector<Span> tokens(const std::string &s, bool (*start)(const std::string &, size_t),
                         bool (*cont)(char)) {
  std::vector<Span> out;
  for (size_t i = 0; i < s.size();) {
    if (start(s, i)) {
      size_t j = i + 1;
      while (j < s.size() && cont(s[j]))
        ++j;
      out.push_back({i, j});
      i = j;
    } else {
      ++i;
    }
  }
  return out;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isWordChar(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         c == '_' || c == '.';
}
bool numberStart(const std::string &s, size_t i) {
  return isDigit(s[i]) && (i == 0 || !isWordChar(s[i - 1]) || s[i - 1] == 'x');
}
bool numberCont(char c) { return isDigit(c) || c == '.' || c == 'e'; }
bool valueStart(const std::string &s, size_t i) { return s[i] == '%'; }
bool valueCont(char c) { return isWordChar(c) || c == '#'; }
bool wordStart(const std::string &s, size_t i) {
  return isWordChar(s[i]) && !isDigit(s[i]) &&
         (i == 0 || !isWordChar(s[i - 1]));
}
bool wordCont(char c) { return isWordChar(c); }

const char *kNumbers[] = {"0",   "1",     "2",          "3",          "-1",
                          "7",   "16",    "63",         "64",         "4097",
                          "65536", "2147483647", "4294967296", "9223372036854775807",
                          "-9223372036854775808", "0.0", "-0.0", "1.0e+30",
                          "1.0e-45", "0x7FC00000", "?"};
const char *kTypes[] = {"f32", "f16", "bf16", "f64", "i1", "i8",
                        "i32", "i64", "index", "f8E4M3FN", "complex<f32>"};

std::vector<std::pair<size_t, size_t>> lines(const std::string &s) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t b = 0;
  while (b < s.size()) {
    size_t e = s.find('\n', b);
    e = e == std::string::npos ? s.size() : e + 1;
    out.push_back({b, e});
    b = e;
  }
  return out;
}

bool mutateText(std::string &s, std::mt19937 &rng) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  switch (pick(8)) {
  case 0: { // delete a line
    auto ls = lines(s);
    if (ls.empty())
      return false;
    auto [b, e] = ls[pick(ls.size())];
    s.erase(b, e - b);
    return true;
  }
  case 1: { // repeat a line
    auto ls = lines(s);
    if (ls.empty())
      return false;
    auto [b, e] = ls[pick(ls.size())];
    s.insert(e, s.substr(b, e - b));
    return true;
  }
  case 2: { // swap two lines
    auto ls = lines(s);
    if (ls.size() < 2)
      return false;
    size_t i = pick(ls.size()), j = pick(ls.size());
    if (i == j)
      return false;
    if (i > j)
      std::swap(i, j);
    std::string a = s.substr(ls[i].first, ls[i].second - ls[i].first);
    std::string b = s.substr(ls[j].first, ls[j].second - ls[j].first);
    s.replace(ls[j].first, b.size(), a);
    s.replace(ls[i].first, a.size(), b);
    return true;
  }
  case 3: { // a number becomes an interesting one
    auto ts = tokens(s, numberStart, numberCont);
    if (ts.empty())
      return false;
    Span t = ts[pick(ts.size())];
    s.replace(t.begin, t.end - t.begin, kNumbers[pick(std::size(kNumbers))]);
    return true;
  }
  case 4: { // an element type becomes another
    auto ts = tokens(s, wordStart, wordCont);
    std::vector<Span> types;
    for (Span t : ts) {
      std::string w = s.substr(t.begin, t.end - t.begin);
      for (const char *k : kTypes)
        if (w == k)
          types.push_back(t);
    }
    if (types.empty())
      return false;
    Span t = types[pick(types.size())];
    s.replace(t.begin, t.end - t.begin, kTypes[pick(std::size(kTypes))]);
    return true;
  }
  case 5: { // an lf op becomes another
    if (opNames.empty())
      return false;
    std::vector<Span> ops;
    for (Span t : tokens(s, wordStart, wordCont))
      if (s.compare(t.begin, 3, "lf.") == 0)
        ops.push_back(t);
    if (ops.empty())
      return false;
    Span t = ops[pick(ops.size())];
    s.replace(t.begin, t.end - t.begin, opNames[pick(opNames.size())]);
    return true;
  }
  case 6: { // an SSA use becomes another value
    auto ts = tokens(s, valueStart, valueCont);
    if (ts.size() < 2)
      return false;
    Span a = ts[pick(ts.size())], b = ts[pick(ts.size())];
    std::string nb = s.substr(b.begin, b.end - b.begin);
    s.replace(a.begin, a.end - a.begin, nb);
    return true;
  }
  default: { // a shape dimension becomes dynamic or another size
    auto ts = tokens(s, numberStart, numberCont);
    std::vector<Span> dims;
    for (Span t : ts)
      if (t.end < s.size() && s[t.end] == 'x')
        dims.push_back(t);
    if (dims.empty())
      return false;
    Span t = dims[pick(dims.size())];
    const char *sizes[] = {"?", "0", "1", "3", "7", "4097"};
    s.replace(t.begin, t.end - t.begin, sizes[pick(std::size(sizes))]);
    return true;
  }
  }
}
} // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned seed) {
  std::mt19937 rng(seed);
  // One in four mutants is libFuzzer's own byte-level mutation.
  if (rng() % 4 == 0)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::string s(reinterpret_cast<const char *>(data), size);
  unsigned edits = 1 + rng() % 3;
  bool changed = false;
  for (unsigned i = 0; i < edits; ++i)
    changed |= mutateText(s, rng);
  if (!changed || s.size() > maxSize)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::memcpy(data, s.data(), s.size());
  return s.size();
}
