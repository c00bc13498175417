# Sourced by the benchmark scripts: one environment for every measurement.
# - malloc keeps freed memory mapped, so no side pays first-touch page faults
#   (~12 us per 4 KiB page on these VMs) per call;
# - OpenMP workers sleep between regions instead of spinning against the
#   other side's threads;
# - OpenBLAS (PyTorch 1.13's BLAS) uses its AVX-512 kernels.
export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736
export OMP_WAIT_POLICY=PASSIVE
unset OPENBLAS_CORETYPE

# The machine line every table starts with.
bench_machine() {
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%d)"
}

# PyTorch 1.13 (Debian) and the BLAS it runs on.
bench_torch1() {
  echo "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') eager, BLAS: $(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || echo unknown) (OPENBLAS_CORETYPE unset)"
}
