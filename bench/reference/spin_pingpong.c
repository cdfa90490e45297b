/* Minimal two-process spin ping-pong over shared memory, written without the
 * harness: the floor that shm_ring:spin must approach.
 * usage: ref_spin_pingpong DRIVER_CPU PEER_CPU SIZE ROUND_TRIPS
 * One shared anonymous mapping (MAP_SHARED|MAP_ANONYMOUS, inherited by fork).
 * Each direction has one cache line holding a sequence number, followed by
 * SIZE bytes of payload on the next lines. The sender copies the payload in
 * and stores the sequence (release); the receiver polls it (acquire, with a
 * pause instruction between polls), then copies the payload out. What is left
 * is the bare cost of moving the flag line and the payload lines between the
 * two CPUs' caches, twice per round trip, plus two clock reads.
 * Prints p50 and p99 of the round-trip time in ns (nearest rank), after
 * discarding 1000 warm-up round trips. */
#define _GNU_SOURCE /* before any system header: CPU_SET, sched_setaffinity */
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ref_common.h"

struct channel {
  _Alignas(64) _Atomic uint64_t seq; /* alone on its cache line */
  _Alignas(64) char payload[];       /* SIZE bytes from the next line on */
};

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void put(struct channel* c, const char* buf, size_t n, uint64_t seq) {
  memcpy(c->payload, buf, n);
  atomic_store_explicit(&c->seq, seq, memory_order_release);
}

static void get(struct channel* c, char* buf, size_t n, uint64_t seq) {
  while (atomic_load_explicit(&c->seq, memory_order_acquire) != seq)
    cpu_relax();
  memcpy(buf, c->payload, n);
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s DRIVER_CPU PEER_CPU SIZE ROUND_TRIPS\n",
            argv[0]);
    return 2;
  }
  int cpu_a = atoi(argv[1]), cpu_b = atoi(argv[2]);
  size_t size = (size_t)atol(argv[3]);
  long n = atol(argv[4]), warm = 1000;
  if (n <= 0) return fprintf(stderr, "ROUND_TRIPS must be > 0\n"), 2;
  size_t chan = sizeof(struct channel) + (size + 63) / 64 * 64;
  char* mem = mmap(NULL, 2 * chan, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return perror("mmap"), 1;
  memset(mem, 0, 2 * chan); /* pre-fault before fork: both see the pages */
  struct channel* a2b = (struct channel*)mem;
  struct channel* b2a = (struct channel*)(mem + chan);
  char* buf = calloc(1, size + 1);
  pid_t pid = fork();
  if (pid < 0) return perror("fork"), 1;
  if (pid == 0) {
    pin(cpu_b);
    for (long i = 1; i <= n + warm; ++i) {
      get(a2b, buf, size, (uint64_t)i);
      put(b2a, buf, size, (uint64_t)i);
    }
    _exit(0);
  }
  pin(cpu_a);
  int64_t* s = malloc(sizeof(int64_t) * (size_t)n);
  for (long i = 1; i <= n + warm; ++i) {
    int64_t t0 = now_ns();
    put(a2b, buf, size, (uint64_t)i);
    get(b2a, buf, size, (uint64_t)i);
    if (i > warm) s[i - 1 - warm] = now_ns() - t0;
  }
  waitpid(pid, NULL, 0);
  report("ref_spin_pingpong", size, cpu_a, cpu_b, s, n);
  return 0;
}
