// out[i] = s(i) + s(i ^ 1) with s(i) = sum_{k<4} in[b*64 + (t + k) % 64]
func.func @main(%x: tensor<128xf32>) -> tensor<128xf32> {
  %in = bufferization.to_buffer %x read_only : tensor<128xf32> to memref<128xf32>
  %out = memref.alloc() : memref<128xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %smem = arith.constant 256 : i32
  // Dynamic shared memory, as lightfuse's kernels use it (workgroup
  // attributions are taken for buffers by ownership-based deallocation).
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1)
             dynamic_shared_memory_size %smem {
    %raw = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
    %buf = memref.view %raw[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
    %base = arith.muli %bx, %sx : index
    %i = arith.addi %base, %tx : index
    %v = memref.load %in[%i] : memref<128xf32>
    memref.store %v, %buf[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %s = scf.for %k = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> f32 {
      %j0 = arith.addi %tx, %k : index
      %j = arith.remui %j0, %c64 : index
      %w = memref.load %buf[%j] : memref<64xf32, #gpu.address_space<workgroup>>
      %a = arith.addf %acc, %w : f32
      gpu.barrier
      scf.yield %a : f32
    }
    %one = arith.constant 1 : i32
    %width = arith.constant 32 : i32
    %sh, %valid = gpu.shuffle xor %s, %one, %width : f32
    %r = arith.addf %s, %sh : f32
    memref.store %r, %out[%i] : memref<128xf32>
    gpu.terminator
  }
  %t = bufferization.to_tensor %out restrict : memref<128xf32> to tensor<128xf32>
  return %t : tensor<128xf32>
}
