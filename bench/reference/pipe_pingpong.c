/* Minimal two-process pipe ping-pong, written without the harness, to check
 * that ipcbench does not inflate what it measures.
 * usage: ref_pipe_pingpong DRIVER_CPU PEER_CPU SIZE ROUND_TRIPS
 * Prints p50 and p99 of the round-trip time in ns (nearest rank), after
 * discarding 1000 warm-up round trips. */
#define _GNU_SOURCE /* before any system header: CPU_SET, sched_setaffinity */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ref_common.h"

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
  report("ref_pipe_pingpong", size, cpu_a, cpu_b, s, n);
  return 0;
}
