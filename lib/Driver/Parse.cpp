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

size_t lf::findKnownParserCrash(llvm::StringRef text) {
  llvm::StringRef ws(" \t\r\n\0", 5); // NUL too: MLIR's lexer skips it
  // `array<index: ...>`: parseDenseArrayAttr asks index for a bit width.
  for (size_t at = 0; (at = text.find("array<", at)) != llvm::StringRef::npos;) {
    size_t start = at;
    at += 6;
    if (text.drop_front(at).ltrim(ws).starts_with("index"))
      return start;
  }
  // `permutation = [...]` / `dimensions = [...]` that is not a plain list of
  // integers: linalg.transpose / linalg.broadcast leave a null attribute
  // behind the failed parse, which NamedAttrList::set dereferences.
  for (llvm::StringRef key : {"permutation", "dimensions"}) {
    size_t at = 0;
    while ((at = text.find(key, at)) != llvm::StringRef::npos) {
      size_t start = at;
      at += key.size();
      llvm::StringRef rest = text.drop_front(at).ltrim(ws);
      if (!rest.consume_front("="))
        continue;
      rest = rest.ltrim(ws);
      if (!rest.consume_front("["))
        return start;
      size_t close = rest.find(']');
      if (close == llvm::StringRef::npos)
        return start;
      llvm::StringRef list = rest.take_front(close).trim(ws);
      if (list.empty())
        continue;
      llvm::SmallVector<llvm::StringRef> items;
      list.split(items, ',');
      for (llvm::StringRef item : items) {
        item = item.trim(ws);
        item.consume_front("-");
        if (item.empty() ||
            item.find_first_not_of("0123456789") != llvm::StringRef::npos)
          return start;
      }
    }
  }
  return llvm::StringRef::npos;
}

size_t lf::findUnparsable(llvm::StringRef text, std::string &why) {
  size_t at = findExcessiveNesting(text);
  if (at != llvm::StringRef::npos) {
    why = "nesting deeper than " + std::to_string(kMaxNestingDepth) +
          " levels of brackets; lightfuse does not parse it (the parser would "
          "exhaust its stack)";
    return at;
  }
  at = findKnownParserCrash(text);
  if (at != llvm::StringRef::npos)
    why = "MLIR 22's parser crashes on this construct (an index dense array, "
          "or a permutation/dimensions list that is not plain integers); "
          "lightfuse does not parse it";
  return at;
}

OwningOpRef<ModuleOp> lf::parseModule(llvm::SourceMgr &sourceMgr,
                                      MLIRContext *ctx) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  llvm::StringRef text = buffer->getBuffer();
  std::string why;
  size_t at = findUnparsable(text, why);
  if (at != llvm::StringRef::npos) {
    auto [line, col] = sourceMgr.getLineAndColumn(
        llvm::SMLoc::getFromPointer(text.data() + at));
    emitError(FileLineColLoc::get(ctx, buffer->getBufferIdentifier(), line,
                                  col))
        << why;
    return nullptr;
  }
  return parseSourceFile<ModuleOp>(sourceMgr, ctx);
}
