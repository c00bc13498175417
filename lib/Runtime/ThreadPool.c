/*===- ThreadPool.c - persistent workers for runtime kernels --------------===*
 *
 * Part of lightfuse. Plain C11 + pthreads. Worker threads are created on the
 * first parallel call that needs them; between calls they spin briefly, then
 * wait on a condition variable, so a call pays at most a wake-up, never a
 * thread start. One
 * parallel region runs at a time; a caller that finds the pool busy runs its
 * tasks on its own thread.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L
#include "lightfuse/Runtime/Gemm.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum { kMaxWorkers = 63 };

static pthread_mutex_t regionLock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t workDone = PTHREAD_COND_INITIALIZER;
static int numWorkers;    /* guarded by mu */
/* Each worker blocks on its own condition, so a region wakes the workers it
 * needs and no others; guarded by mu. */
static pthread_cond_t workReady[kMaxWorkers];
static int sleeping[kMaxWorkers];
/* (region number << 8) | the workers it needs (1..63): one word, so a
 * worker sees a region and its size together. Workers past that size skip
 * the region and block without spinning (a call with fewer threads than an
 * earlier one does not keep the others spinning on the cores). */
static _Atomic uint64_t generation;
static _Atomic int pending; /* workers still inside the current region */
static void (*jobFn)(void *, int64_t);
static void *jobCtx;
static int64_t jobTasks;
static _Atomic int64_t nextTask;
/* Task t < preferred is first offered to thread t (0: the caller, w + 1:
 * worker w), so a kernel split the same way on every call (a decode step's
 * weight panels) finds its share in the same core's caches; claimed[t] says
 * who took it. Threads late to their region see theirs taken by the others. */
static int64_t preferred;
static _Atomic int claimed[kMaxWorkers + 1];
static uint64_t startGeneration[kMaxWorkers]; /* guarded by mu */

/* How long a thread spins before blocking: a region that follows soon (the
 * next GEMM of a layer, a decode step's next call after the caller's own
 * work) finds the workers awake instead of paying a futex wake-up (tens of
 * microseconds on these VMs, and a worker that wakes late delays the whole
 * region). Measured in time, not iterations: a fixed count of `pause`
 * spanned 10 to 400 us depending on the CPU, and at the short end the
 * workers slept between every call of a Python loop (a 4096 x 1024 RMSNorm
 * on two threads took 1.31 ms instead of 0.66). LF_POOL_SPIN_US overrides
 * the default of 1000 us (0: block at once). */
static _Atomic int64_t spinNs = -1;

static int64_t nowNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t spinBudgetNs(void) {
  int64_t ns = atomic_load_explicit(&spinNs, memory_order_relaxed);
  if (ns < 0) {
    const char *v = getenv("LF_POOL_SPIN_US");
    ns = v && atoi(v) >= 0 ? (int64_t)atoi(v) * 1000 : 1000000;
    atomic_store_explicit(&spinNs, ns, memory_order_relaxed);
  }
  return ns;
}

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Spins while `cond` holds, at most spinBudgetNs() (the clock read every 64
 * pauses). */
#define SPIN_WHILE(cond)                                                       \
  do {                                                                         \
    int64_t budget_ = spinBudgetNs(), start_ = budget_ ? nowNs() : 0;         \
    for (unsigned i_ = 1; budget_ && (cond); ++i_) {                           \
      relax();                                                                 \
      if (i_ % 64 == 0 && nowNs() - start_ > budget_)                          \
        break;                                                                 \
    }                                                                          \
  } while (0)

/* `self`: 0 for the caller, w + 1 for worker w. */
static void runTasks(int self) {
  if (self < preferred && !atomic_exchange(&claimed[self], 1))
    jobFn(jobCtx, self);
  for (;;) {
    int64_t t = atomic_fetch_add(&nextTask, 1);
    if (t >= jobTasks)
      return;
    if (t < preferred && atomic_exchange(&claimed[t], 1))
      continue;
    jobFn(jobCtx, t);
  }
}

/* `arg`: the worker's index; it joins every region after the generation at
 * its creation. */
static void *workerMain(void *arg) {
  int self = (int)(uintptr_t)arg + 1;
  pthread_mutex_lock(&mu);
  uint64_t seen = startGeneration[self - 1];
  pthread_mutex_unlock(&mu);
  int idle = 0; /* not needed by the last region: block at once */
  for (;;) {
    if (!idle)
      SPIN_WHILE(atomic_load(&generation) == seen);
    if (atomic_load(&generation) == seen) {
      pthread_mutex_lock(&mu);
      sleeping[self - 1] = 1;
      while (atomic_load(&generation) == seen)
        pthread_cond_wait(&workReady[self - 1], &mu);
      sleeping[self - 1] = 0;
      pthread_mutex_unlock(&mu);
    }
    seen = atomic_load(&generation);
    idle = (int)(seen & 0xFF) < self;
    if (idle)
      continue;
    runTasks(self);
    if (atomic_fetch_sub(&pending, 1) == 1) {
      pthread_mutex_lock(&mu);
      pthread_cond_signal(&workDone);
      pthread_mutex_unlock(&mu);
    }
  }
  return NULL;
}

/* A child of fork() has none of the parent's workers: start afresh (the
 * child's first parallel call creates its own). */
static void resetAfterFork(void) {
  pthread_mutex_init(&regionLock, NULL);
  pthread_mutex_init(&mu, NULL);
  for (int w = 0; w < numWorkers; ++w) {
    pthread_cond_init(&workReady[w], NULL);
    sleeping[w] = 0;
  }
  pthread_cond_init(&workDone, NULL);
  numWorkers = 0;
  atomic_store(&pending, 0);
}

static pthread_once_t forkHandlerOnce = PTHREAD_ONCE_INIT;
static void installForkHandler(void) {
  pthread_atfork(NULL, NULL, resetAfterFork);
}

/* The default thread count, resolved on first use (as OpenMP reads its
 * environment once): generated parallel loops and kernels ask for it on
 * every region, and sysconf(_SC_NPROCESSORS_ONLN) reads /sys each time. */
static _Atomic int64_t defaultThreads;

int64_t lfResolveThreads(int32_t threads) {
  if (threads >= 1)
    return threads;
  int64_t cached = atomic_load_explicit(&defaultThreads, memory_order_relaxed);
  if (cached)
    return cached;
  int64_t n = 0;
  for (const char *name = "LF_NUM_THREADS"; name && !n;
       name = name[0] == 'L' ? "OMP_NUM_THREADS" : NULL) {
    const char *v = getenv(name);
    if (v && atoi(v) >= 1)
      n = atoi(v);
  }
  if (!n) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    n = cpus >= 1 ? cpus : 1;
  }
  atomic_store_explicit(&defaultThreads, n, memory_order_relaxed);
  return n;
}

void lfParallelFor(int64_t tasks, void (*fn)(void *ctx, int64_t task),
                   void *ctx) {
  if (tasks <= 1 || pthread_mutex_trylock(&regionLock) != 0) {
    for (int64_t t = 0; t < tasks; ++t)
      fn(ctx, t);
    return;
  }
  int64_t want = tasks - 1 < kMaxWorkers ? tasks - 1 : kMaxWorkers;
  pthread_once(&forkHandlerOnce, installForkHandler);
  pthread_mutex_lock(&mu);
  while (numWorkers < want) {
    pthread_t th;
    startGeneration[numWorkers] = atomic_load(&generation);
    pthread_cond_init(&workReady[numWorkers], NULL);
    sleeping[numWorkers] = 0;
    if (pthread_create(&th, NULL, workerMain, (void *)(uintptr_t)numWorkers) !=
        0)
      break;
    pthread_detach(th);
    ++numWorkers;
  }
  jobFn = fn;
  jobCtx = ctx;
  jobTasks = tasks;
  int active = want < numWorkers ? (int)want : numWorkers;
  preferred = active + 1;
  for (int64_t t = 0; t < preferred; ++t)
    atomic_store(&claimed[t], 0);
  atomic_store(&nextTask, 0);
  atomic_store(&pending, active);
  atomic_store(&generation,
               ((atomic_load(&generation) >> 8) + 1) << 8 | (uint64_t)active);
  for (int w = 0; w < active; ++w)
    if (sleeping[w])
      pthread_cond_signal(&workReady[w]);
  pthread_mutex_unlock(&mu);
  runTasks(0);
  SPIN_WHILE(atomic_load(&pending) > 0);
  if (atomic_load(&pending) > 0) {
    pthread_mutex_lock(&mu);
    while (atomic_load(&pending) > 0)
      pthread_cond_wait(&workDone, &mu);
    pthread_mutex_unlock(&mu);
  }
  pthread_mutex_unlock(&regionLock);
}

/* lfParallelRange: contiguous, balanced chunks of [0, iterations), chunk t
 * first offered to thread t (the same rows on the same core every call). */
typedef struct {
  void (*fn)(void *, int64_t, int64_t);
  void *ctx;
  int64_t iterations, tasks;
} RangeJob;

static void rangeTask(void *ctx, int64_t task) {
  const RangeJob *j = (const RangeJob *)ctx;
  int64_t per = j->iterations / j->tasks, extra = j->iterations % j->tasks;
  int64_t begin = task * per + (task < extra ? task : extra);
  int64_t end = begin + per + (task < extra);
  if (begin < end)
    j->fn(j->ctx, begin, end);
}

void lfParallelRange(int32_t threads, int64_t iterations,
                     void (*fn)(void *ctx, int64_t begin, int64_t end),
                     void *ctx) {
  if (iterations <= 0)
    return;
  int64_t tasks = lfResolveThreads(threads);
  if (tasks > iterations)
    tasks = iterations;
  if (tasks <= 1) {
    fn(ctx, 0, iterations);
    return;
  }
  RangeJob job = {fn, ctx, iterations, tasks};
  lfParallelFor(tasks, rangeTask, &job);
}
