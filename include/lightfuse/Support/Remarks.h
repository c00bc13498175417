//===- Remarks.h - explaining declined rewrites -----------------*- C++ -*-===//
//
// Part of lightfuse. Every pass with an `explain` option reports the
// candidates it declines the same way: a remark on the op,
// "<pass>: <verdict>: <why>", and a count in the pass's statistic. One
// helper, so wording and counting cannot drift between passes.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_SUPPORT_REMARKS_H
#define LIGHTFUSE_SUPPORT_REMARKS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"
#include "mlir/Pass/Pass.h"

#include <optional>

namespace mlir::lf {

/// Reports declined candidates of one pass run.
class DeclineReporter {
public:
  /// `pass`: the pass flag; `verdict`: e.g. "not fused"; `count`: the pass
  /// statistic counting declined candidates (may be null).
  DeclineReporter(StringRef pass, StringRef verdict, bool explain,
                  Pass::Statistic *count = nullptr)
      : pass(pass), verdict(verdict), explain(explain), count(count) {}

  /// Counts the decline of `op` and, with explain, returns the remark
  /// "<pass>: <verdict>: <why>" on it (to attach notes to); else nullopt.
  std::optional<InFlightDiagnostic> operator()(Operation *op,
                                               const Twine &why) const {
    if (count)
      ++*count;
    if (!explain)
      return std::nullopt;
    InFlightDiagnostic d = op->emitRemark();
    d << pass << ": ";
    if (!verdict.empty())
      d << verdict << ": ";
    d << why;
    return d;
  }

private:
  StringRef pass, verdict;
  bool explain;
  Pass::Statistic *count;
};

} // namespace mlir::lf

#endif // LIGHTFUSE_SUPPORT_REMARKS_H
