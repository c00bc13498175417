// The runtime's packed GEMM kernel alone against the FMA peak measured in the
// same run (12 independent AVX-512 FMA chains), min of 7 calls:
//   clang-22 -O3 -Iinclude benchmarks/gemm_kernel_bench.c \
//     lib/Runtime/Gemm.c lib/Runtime/ThreadPool.c -lm -lpthread -o gemm-bench
//   ./gemm-bench M N K [threads]
// The "peak" is that of `threads` threads running the FMA loop at once
// (measured: on some VMs two vCPUs share one core's FMA units, e.g. an AMD
// EPYC VM where two threads reach 1.39x one thread's peak).
#include "lightfuse/Runtime/Gemm.h"
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <math.h>
#include <pthread.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
__attribute__((target("avx512f,fma"))) static double peak1(void){
  __m512 acc[12]; for(int i=0;i<12;i++) acc[i]=_mm512_set1_ps(i);
  __m512 a=_mm512_set1_ps(1.0000001f), b=_mm512_set1_ps(0.999999f);
  long it=20000000; double t=now();
  for(long i=0;i<it;i++) for(int j=0;j<12;j++) acc[j]=_mm512_fmadd_ps(a,acc[j],b);
  double s=now()-t; float x=0; for(int i=0;i<12;i++) x+=_mm512_reduce_add_ps(acc[i]);
  if(x==1234.5f) printf("x");
  return 12.0*16*2*it/s/1e9;
}
static double peaks[64];
static void*peakThread(void*i){peaks[(long)i]=peak1();return 0;}
/* Sum of `threads` concurrent FMA loops. */
static double peak(int threads){
  if(threads<=1) return peak1();
  pthread_t t[64]; double sum=0;
  for(long i=0;i<threads;i++) pthread_create(&t[i],0,peakThread,(void*)i);
  for(int i=0;i<threads;i++){pthread_join(t[i],0); sum+=peaks[i];}
  return sum;
}
int main(int argc,char**argv){
  long M=atol(argv[1]),N=atol(argv[2]),K=atol(argv[3]); int T=argc>4?atoi(argv[4]):1;
  float*A=aligned_alloc(64,M*K*4),*W=aligned_alloc(64,N*K*4),*P=aligned_alloc(64,lfPackedWeightsSize(N,K)*4),*C=aligned_alloc(64,M*N*4);
  for(long i=0;i<M*K;i++)A[i]=(rand()%100-50)/50.f; for(long i=0;i<N*K;i++)W[i]=(rand()%100-50)/50.f;
  lfPackWeightsF32(W,K,N,K,P);
  lfGemmPackedF32(A,K,P,N,K,NULL,C,N,M,0,T);
  double err=0; for(int t=0;t<200;t++){long i=rand()%M,j=rand()%N; double s=0; for(long k=0;k<K;k++) s+=(double)A[i*K+k]*W[j*K+k]; err=fmax(err,fabs(s-C[i*N+j])/(fabs(s)+1));}
  double best=1e9; for(int r=0;r<7;r++){double t=now(); lfGemmPackedF32(A,K,P,N,K,NULL,C,N,M,0,T); t=now()-t; if(t<best)best=t;}
  double gf=2.0*M*N*K/best/1e9, pk=peak(T);
  printf("M=%ld N=%ld K=%ld threads=%d: %.4f ms %.1f GFLOP/s, peak of %d thread(s) %.1f -> %.1f%%  err %.1e\n",M,N,K,T,best*1e3,gf,T,pk,100*gf/pk,err);
}
