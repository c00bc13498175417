//===- ResidualStream.h - residual-stream analysis ----------------*- C++ -*-===//
//
// Part of lightfuse. Internal to lib/Transforms. A residual stream is the set
// of values joined by residual adds; the Pre-LN -> Pre-RMSNorm rewrite and
// its CRMSNorm compression need every reader and writer of one.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_LIB_TRANSFORMS_RESIDUALSTREAM_H
#define LIGHTFUSE_LIB_TRANSFORMS_RESIDUALSTREAM_H

#include "dialects/lf/LFOps.h"

#include "mlir/IR/Value.h"
#include "llvm/ADT/SetVector.h"

#include <functional>
#include <string>

namespace mlir::lf {

/// One connected residual stream.
struct ResidualStream {
  llvm::SetVector<Value> values;       // every value of the stream
  llvm::SetVector<Operation *> readers; // norms reading it
  llvm::SetVector<Value> leaves;       // values written into it
  Operation *blame = nullptr;          // first obstacle (null: none)
  std::string why;                     // and why it is one
};

/// Grows the stream containing `seed`. `isReader(use)` accepts a use as a
/// norm reading the stream (lf.residual_norm readers also join their
/// operands and `sum` to the stream); lf.add joins both operands and the
/// result. Any other use is an obstacle. `leafOk(v, why)` accepts a value
/// produced by anything else as a writer. The whole component is always
/// collected, so one stream is reported once.
ResidualStream
growResidualStream(Value seed,
                   const std::function<bool(OpOperand &)> &isReader,
                   const std::function<bool(Value, std::string &)> &leafOk);

/// "the result of 'lf.x'" or "function argument #i", for diagnostics.
std::string describeValue(Value v);

} // namespace mlir::lf

#endif // LIGHTFUSE_LIB_TRANSFORMS_RESIDUALSTREAM_H
