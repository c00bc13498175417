//===- DropFrontendAttrs.cpp - remove lf.* argument/result attributes -----===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/Common/Passes.h"
#include "PassDetail.h"

namespace mlir::lf {
#define GEN_PASS_DEF_DROPFRONTENDATTRSPASS
#include "lightfuse/Codegen/Common/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
struct DropFrontendAttrsPass
    : lf::impl::DropFrontendAttrsPassBase<DropFrontendAttrsPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<std::string> drop(prefixes.begin(), prefixes.end());
    if (drop.empty())
      drop.push_back("lf.");
    auto strip = [&](DictionaryAttr dict) -> DictionaryAttr {
      if (!dict)
        return dict;
      SmallVector<NamedAttribute> kept;
      for (NamedAttribute a : dict)
        if (llvm::none_of(drop, [&](const std::string &p) {
              return a.getName().getValue().starts_with(p);
            }))
          kept.push_back(a);
      return DictionaryAttr::get(dict.getContext(), kept);
    };
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
        fn.setArgAttrs(i, strip(fn.getArgAttrDict(i)));
      for (unsigned i = 0, e = fn.getNumResults(); i < e; ++i)
        fn.setResultAttrs(i, strip(fn.getResultAttrDict(i)));
    }
  }
};
} // namespace
