//===- Passes.h - lightfuse conversion passes -------------------*- C++ -*-===//
//
// Part of lightfuse. Every conversion out of the lf dialect, as upstream's
// mlir/Conversion/Passes.h gathers its own.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CONVERSION_PASSES_H
#define LIGHTFUSE_CONVERSION_PASSES_H

#include "lightfuse/Conversion/LFToCPU/Passes.h"
#include "lightfuse/Conversion/LFToGPU/Passes.h"
#include "lightfuse/Conversion/LFToLinalg/Passes.h"

#endif // LIGHTFUSE_CONVERSION_PASSES_H
