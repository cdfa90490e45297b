// The release gate of fan-in: one release() wakes every waiter, threads
// and processes alike, however many wait; nothing is released before it,
// and a late waiter passes at once.
#include "harness/release.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

namespace ipcb::harness {
namespace {

TEST(ReleaseGate, OneReleaseWakesEveryWaitingThread) {
  ReleaseGate gate;
  constexpr int kWaiters = 8;
  std::atomic<int> waiting{0}, passed{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&] {
      ++waiting;
      ReleaseGate::wait(gate.fd());
      ++passed;
    });
  }
  while (waiting.load() < kWaiters) std::this_thread::yield();
  EXPECT_FALSE(ReleaseGate::released(gate.fd()));
  EXPECT_EQ(passed.load(), 0);
  gate.release();  // the only release: every waiter must pass on it
  for (auto& t : waiters) t.join();
  EXPECT_EQ(passed.load(), kWaiters);
  EXPECT_TRUE(ReleaseGate::released(gate.fd()));
  ReleaseGate::wait(gate.fd());  // a late waiter passes at once
}

TEST(ReleaseGate, OneReleaseWakesEveryWaitingProcess) {
  ReleaseGate gate;
  constexpr int kWaiters = 4;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kWaiters; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Async-signal-safe calls only: say "waiting", wait, exit 0.
      char c = 'w';
      if (::write(ready[1], &c, 1) != 1) ::_exit(2);
      try {
        ReleaseGate::wait(gate.fd());
      } catch (...) {
        ::_exit(3);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (int i = 0; i < kWaiters; ++i) {
    char c = 0;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
  }
  gate.release();
  for (pid_t pid : children) {
    int st = 0;
    ASSERT_EQ(::waitpid(pid, &st, 0), pid);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  }
  ::close(ready[0]);
  ::close(ready[1]);
}

}  // namespace
}  // namespace ipcb::harness
