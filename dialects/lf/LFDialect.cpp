//===- LFDialect.cpp - lf dialect registration ----------------------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "dialects/lf/LFDialect.h"
#include "dialects/lf/LFOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::lf;

#include "dialects/lf/LFDialect.cpp.inc"
#include "dialects/lf/LFEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/lf/LFAttrs.cpp.inc"

void LFDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/lf/LFAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/lf/LFOps.cpp.inc"
      >();
}

Operation *LFDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  // Folders only ever produce existing values or dense splats; materialize
  // the latter as arith.constant so canonicalization stays within upstream.
  if (auto typed = dyn_cast<TypedAttr>(value))
    if (arith::ConstantOp::isBuildableWith(typed, type))
      return arith::ConstantOp::create(builder, loc, type, typed);
  return nullptr;
}
