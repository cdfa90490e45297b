/* Helpers shared by the minimal reference programs (plain C, no harness):
 * pinning, the monotonic clock, and the nearest-rank p50/p99 report. */
#ifndef IPCB_REF_COMMON_H
#define IPCB_REF_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  if (sched_setaffinity(0, sizeof s, &s) != 0) {
    perror("sched_setaffinity");
    exit(1);
  }
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_i64(const void* a, const void* b) {
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
}

/* Sorts the n samples and prints p50 and p99 (nearest rank). */
static void report(const char* name, size_t size, int cpu_a, int cpu_b,
                   int64_t* s, long n) {
  qsort(s, (size_t)n, sizeof *s, cmp_i64);
  printf("%s size=%zu cpus=%d,%d n=%ld p50_ns=%lld p99_ns=%lld\n", name, size,
         cpu_a, cpu_b, n, (long long)s[(n * 50 + 99) / 100 - 1],
         (long long)s[(n * 99 + 99) / 100 - 1]);
}

#endif
