// RUN: lf-opt %s --lf-gpu-emulate --split-input-file --verify-diagnostics

func.func @thread_dependent_loop(%out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    // expected-error @below {{a loop with a barrier inside needs the same bounds in every thread of a block}}
    scf.for %i = %c0 to %tx step %c1 {
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

// -----

func.func @memref_across_barrier(%out: memref<64xf32>, %p: memref<memref<64xf32>>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %z = arith.constant 0.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    // expected-error @below {{a value of type 'memref<64xf32>' lives across a barrier}}
    %m = memref.load %p[] : memref<memref<64xf32>>
    gpu.barrier
    memref.store %z, %m[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @sync_in_while(%c: i1) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @below {{synchronization inside this op is not supported}}
    scf.while : () -> () {
      gpu.barrier
      scf.condition(%c)
    } do {
      scf.yield
    }
    gpu.terminator
  }
  return
}

// -----

func.func @async(%t: !gpu.async.token) {
  %c1 = arith.constant 1 : index
  // expected-error @below {{asynchronous launches are not supported}}
  %t2 = gpu.launch async [%t] blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    gpu.terminator
  }
  return
}
