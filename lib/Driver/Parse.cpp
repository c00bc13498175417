//===- Parse.cpp - parsing lf modules from text with bounded nesting ------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Driver/Parse.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

size_t lf::findExcessiveNesting(llvm::StringRef text, unsigned maxDepth) {
  unsigned depth = 0;
  for (size_t i = 0, e = text.size(); i < e; ++i) {
    char c = text[i];
    switch (c) {
    case '"': // string literal with backslash escapes
      for (++i; i < e && text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
      break;
    case '/': // line comment
      if (i + 1 < e && text[i + 1] == '/')
        while (i < e && text[i] != '\n')
          ++i;
      break;
    case '(':
    case '[':
    case '{':
    case '<':
      if (++depth > maxDepth)
        return i;
      break;
    case '>': // `->` and `>=` close nothing
      if ((i > 0 && text[i - 1] == '-') || (i + 1 < e && text[i + 1] == '='))
        break;
      [[fallthrough]];
    case ')':
    case ']':
    case '}':
      if (depth)
        --depth;
      break;
    default:
      break;
    }
  }
  return llvm::StringRef::npos;
}

OwningOpRef<ModuleOp> lf::parseModule(llvm::SourceMgr &sourceMgr,
                                      MLIRContext *ctx) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  llvm::StringRef text = buffer->getBuffer();
  size_t at = findExcessiveNesting(text);
  if (at != llvm::StringRef::npos) {
    auto [line, col] = sourceMgr.getLineAndColumn(
        llvm::SMLoc::getFromPointer(text.data() + at));
    emitError(FileLineColLoc::get(ctx, buffer->getBufferIdentifier(), line,
                                  col))
        << "nesting deeper than " << kMaxNestingDepth
        << " levels of brackets; lightfuse does not parse it (the parser "
           "would exhaust its stack)";
    return nullptr;
  }
  return parseSourceFile<ModuleOp>(sourceMgr, ctx);
}
