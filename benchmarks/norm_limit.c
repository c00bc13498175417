// What a memory-bound norm can reach here: a hand-written AVX-512 RMSNorm
// (two passes per row, the second from cache) with plain and with
// non-temporal stores, next to memcpy of the same tensor, min of 5:
//   clang-22 -O3 benchmarks/norm_limit.c -lm -o norm-limit && ./norm-limit [T D]
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
__attribute__((target("avx512f"))) static void rms(const float*x,float*y,long T,long D,int nt){
  for(long i=0;i<T;i++){const float*r=x+i*D; float*o=y+i*D; __m512 s=_mm512_setzero_ps();
    for(long j=0;j<D;j+=16){__m512 v=_mm512_loadu_ps(r+j); s=_mm512_fmadd_ps(v,v,s);}
    float rs=1.0f/__builtin_sqrtf(_mm512_reduce_add_ps(s)/D+1e-6f); __m512 f=_mm512_set1_ps(rs);
    if(nt) for(long j=0;j<D;j+=16) _mm512_stream_ps(o+j,_mm512_mul_ps(_mm512_loadu_ps(r+j),f));
    else for(long j=0;j<D;j+=16) _mm512_storeu_ps(o+j,_mm512_mul_ps(_mm512_loadu_ps(r+j),f));}
  _mm_sfence();}
static void*(*volatile copy)(void*,const void*,size_t)=memcpy;
int main(int argc,char**argv){long T=argc>1?atol(argv[1]):16384,D=argc>2?atol(argv[2]):4096; float*x=aligned_alloc(64,T*D*4),*y=aligned_alloc(64,T*D*4);
 for(long i=0;i<T*D;i++){x[i]=1;y[i]=0;}
 for(int nt=0;nt<3;nt++){double best=1e9; for(int r=0;r<5;r++){double t=now(); if(nt==2) copy(y,x,T*D*4); else rms(x,y,T,D,nt); t=now()-t; if(t<best)best=t;} if(nt==2&&y[T*D-1]!=1.0f) return 1;
 printf("%s %.2f ms\n", nt==2?"memcpy":nt?"rms nontemporal":"rms plain", best*1e3);}}
