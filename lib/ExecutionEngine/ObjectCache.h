//===- ObjectCache.h - compiled objects on disk -----------------*- C++ -*-===//
//
// Part of lightfuse. The JIT's on-disk cache: the object code of a compiled
// module and its function signatures, keyed by the source, the compile
// options, the host CPU and the lightfuse build, so a second process loads
// the object instead of compiling again. Private to lib/ExecutionEngine.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_LIB_EXECUTIONENGINE_OBJECTCACHE_H
#define LIGHTFUSE_LIB_EXECUTIONENGINE_OBJECTCACHE_H

#include "lightfuse/Driver/Compiler.h"
#include "lightfuse/Driver/Signature.h"

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace mlir::lf {

/// The cache directory: $LF_CACHE_DIR, else $XDG_CACHE_HOME/lightfuse, else
/// ~/.cache/lightfuse; "" (caching off) when LF_CACHE=0 or for compilations
/// the cache does not cover (GPU targets, custom pipelines, stage dumps,
/// explain).
std::string objectCacheDir(const CompileOptions &options);

/// Hex key of compiling `source` with `options` on this host with this build.
std::string objectCacheKey(llvm::StringRef source,
                           const CompileOptions &options);

/// The signatures (whether the code needs libomp, the object blob's digest
/// and the sizes of the objects it holds back to back; empty: one object)
/// as text, and back.
std::string serializeSignatures(const std::vector<FunctionSignature> &sigs,
                                bool openmp, llvm::StringRef objectDigest,
                                const std::vector<size_t> &parts);
bool parseSignatures(llvm::StringRef text,
                     std::vector<FunctionSignature> &sigs, bool &openmp,
                     std::string &objectDigest, std::vector<size_t> &parts);

/// Hex SHA-256 of `data`.
std::string digestOf(llvm::StringRef data);

/// Writes `data` to `path` atomically (temporary file + rename); best effort.
void writeFileAtomically(const std::string &path, llvm::StringRef data);

} // namespace mlir::lf

#endif // LIGHTFUSE_LIB_EXECUTIONENGINE_OBJECTCACHE_H
