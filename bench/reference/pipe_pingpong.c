/* Minimal two-process pipe ping-pong, written without the harness, to check
 * that ipcbench does not inflate what it measures.
 * usage: ref_pipe_pingpong DRIVER_CPU PEER_CPU SIZE ROUND_TRIPS
 * Prints p50 and p99 of the round-trip time in ns (nearest rank), after
 * discarding 1000 warm-up round trips. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  if (sched_setaffinity(0, sizeof s, &s) != 0) {
    perror("sched_setaffinity");
    exit(1);
  }
}

static void xfer(int fd, char* buf, size_t n, int wr) {
  while (n > 0) {
    ssize_t r = wr ? write(fd, buf, n) : read(fd, buf, n);
    if (r <= 0) {
      perror(wr ? "write" : "read");
      exit(1);
    }
    buf += r;
    n -= (size_t)r;
  }
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void* a, const void* b) {
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
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
  int a2b[2], b2a[2];
  if (pipe(a2b) || pipe(b2a)) return perror("pipe"), 1;
  char* buf = calloc(1, size);
  pid_t pid = fork();
  if (pid == 0) {
    pin(cpu_b);
    for (long i = 0; i < n + warm; ++i) {
      xfer(a2b[0], buf, size, 0);
      xfer(b2a[1], buf, size, 1);
    }
    _exit(0);
  }
  pin(cpu_a);
  int64_t* s = malloc(sizeof(int64_t) * (size_t)n);
  for (long i = 0; i < n + warm; ++i) {
    int64_t t0 = now_ns();
    xfer(a2b[1], buf, size, 1);
    xfer(b2a[0], buf, size, 0);
    if (i >= warm) s[i - warm] = now_ns() - t0;
  }
  waitpid(pid, NULL, 0);
  qsort(s, (size_t)n, sizeof *s, cmp);
  printf(
      "ref_pipe_pingpong size=%zu cpus=%d,%d n=%ld p50_ns=%lld p99_ns=%lld\n",
      size, cpu_a, cpu_b, n, (long long)s[(n * 50 + 99) / 100 - 1],
      (long long)s[(n * 99 + 99) / 100 - 1]);
  return 0;
}
