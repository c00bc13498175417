//===- Parse.h - parsing lf modules from text with bounded nesting -*- C++ -*-===//
//
// Part of lightfuse. MLIR's parser recurses once per nesting level of
// regions, attributes and types, so a hostile input of ~20k nested regions
// or ~100k nested attributes overflows the stack. Every entry point that
// parses text (lf-opt, lf-compile, the JIT behind lf-run, the C API and
// Python, the fuzzers) checks the bracket nesting first and rejects deeper
// input with a located diagnostic.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_DRIVER_PARSE_H
#define LIGHTFUSE_DRIVER_PARSE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <string>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace mlir {
class MLIRContext;
namespace lf {

/// The deepest nesting of (), [], {} and <> the entry points accept. Real
/// modules stay below ~30; the parser's frames for one level are a few
/// hundred bytes, so this is far from any stack limit.
constexpr unsigned kMaxNestingDepth = 256;

/// The offset in `text` where the nesting of brackets outside string
/// literals and comments first exceeds `maxDepth`, or StringRef::npos.
size_t findExcessiveNesting(llvm::StringRef text,
                            unsigned maxDepth = kMaxNestingDepth);

/// The offset of a construct Debian's MLIR 22 parser crashes on instead of
/// reporting an error (docs/robustness.md): `array<index: ...>`, and a
/// `permutation` / `dimensions` list that is not plain integers. npos when
/// there is none. Conservative: a valid module never has either.
size_t findKnownParserCrash(llvm::StringRef text);

/// Either check's offset in `text` (npos when neither applies), with the
/// message in `why`: what lf::parseModule and lf-opt report there.
size_t findUnparsable(llvm::StringRef text, std::string &why);

/// Parses the main buffer of `sourceMgr` into a module after the nesting
/// and known-crash checks; errors go to `ctx`'s diagnostic handler with a
/// location in the buffer. Null on failure.
OwningOpRef<ModuleOp> parseModule(llvm::SourceMgr &sourceMgr,
                                  MLIRContext *ctx);

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_DRIVER_PARSE_H
