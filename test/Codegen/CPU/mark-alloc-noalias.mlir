// RUN: lf-opt %s --lf-mark-alloc-noalias | FileCheck %s

// The runtime's allocators return fresh memory: their results are noalias.
// CHECK: llvm.func @_mlir_memref_to_llvm_aligned_alloc(i64, i64) -> (!llvm.ptr {llvm.noalias})
llvm.func @_mlir_memref_to_llvm_aligned_alloc(i64, i64) -> !llvm.ptr
// CHECK: llvm.func @_mlir_memref_to_llvm_alloc(i64) -> (!llvm.ptr {llvm.noalias})
llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
// Other functions returning pointers are left alone.
// CHECK: llvm.func @other_alloc(i64) -> !llvm.ptr{{$}}
llvm.func @other_alloc(i64) -> !llvm.ptr
