// shm_mutex: POSIX shared memory (as shm_sem: "/<prefix>-shm" in /dev/shm)
// carrying the payload; each full/empty counter of the mailbox (see
// mailbox.hpp) is a monitor: a process-shared ROBUST pthread mutex, a
// process-shared condition variable (CLOCK_MONOTONIC) and a count. This is
// the textbook "mutex + condition variable" hand-off; glibc wakes a sleeper
// with a futex, and the mutex enters the kernel only when contended.
// Robustness: if a process dies holding a mutex, the next lock returns
// EOWNERDEAD; the count is one word changed in one store, so it is always
// consistent: pthread_mutex_consistent() and carry on (the harness then
// cancels the run because the peer is gone). ENOTRECOVERABLE is reported as
// such. Cancellation: neither pthread_cond_wait nor pthread_mutex_lock ends
// on a signal, so waits are pthread_cond_timedwait slices and contended
// locks pthread_mutex_clocklock slices of 50 ms, each polling cancelled().
// Limits: as shm_sem (the size of /dev/shm, the region reserved up front in
// prepare()); message size any.
#include <pthread.h>
#include <time.h>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "transports/mailbox.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

constexpr long kSliceNs = 50'000'000;

timespec slice_deadline() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_nsec += kSliceNs;
  if (t.tv_nsec >= 1'000'000'000) {
    t.tv_nsec -= 1'000'000'000;
    ++t.tv_sec;
  }
  return t;
}

class RobustMutexNotifier final : public Notifier {
 public:
  RobustMutexNotifier() {
    for (int i = 0; i < kCounters; ++i) {
      names_[i] = "robust mutex ";
      names_[i] += counter_name(i);
    }
  }
  std::size_t shared_bytes() const override {
    return kCounters * sizeof(RobustCounter);
  }
  void create(std::byte* shared, const Counts& initial) override {
    counters_ = reinterpret_cast<RobustCounter*>(shared);
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    sys::check_rc("pthread_mutexattr_init", names_[0],
                  ::pthread_mutexattr_init(&ma));
    sys::check_rc("pthread_condattr_init", names_[0],
                  ::pthread_condattr_init(&ca));
    ::pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    ::pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    ::pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    ::pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    for (int i = 0; i < kCounters; ++i) {
      sys::check_rc("pthread_mutex_init", names_[i],
                    ::pthread_mutex_init(&counters_[i].mutex, &ma));
      sys::check_rc("pthread_cond_init", names_[i],
                    ::pthread_cond_init(&counters_[i].cond, &ca));
      counters_[i].value = initial[i];
    }
    ::pthread_mutexattr_destroy(&ma);
    ::pthread_condattr_destroy(&ca);
  }
  void attach(const nlohmann::json&, std::byte* shared,
              const Counts&) override {
    counters_ = reinterpret_cast<RobustCounter*>(shared);
  }
  void wait(int c) override {
    Lock lock(*this, c);
    RobustCounter& k = counters_[c];
    while (k.value == 0) {
      timespec t = slice_deadline();
      int rc = ::pthread_cond_timedwait(&k.cond, &k.mutex, &t);
      if (rc == EOWNERDEAD) {
        make_consistent(c);
      } else if (rc != 0 && rc != ETIMEDOUT) {
        sys::check_rc("pthread_cond_timedwait", names_[c], rc);
      }
      if (k.value == 0 && sys::cancelled())
        sys::throw_cancelled("pthread_cond_timedwait", names_[c]);
    }
    --k.value;
  }
  void post(int c) override {
    Lock lock(*this, c);
    ++counters_[c].value;
    sys::check_rc("pthread_cond_signal", names_[c],
                  ::pthread_cond_signal(&counters_[c].cond));
  }
  Settings settings() const override {
    return {{"robust_mutex_owner_deaths", owner_deaths_}};
  }

 private:
  // Holds counter c's mutex; recovers it from a dead owner.
  class Lock {
   public:
    Lock(RobustMutexNotifier& n, int c) : m_(&n.counters_[c].mutex) {
      n.lock(c);
    }
    ~Lock() { ::pthread_mutex_unlock(m_); }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

   private:
    pthread_mutex_t* m_;
  };

  void lock(int c) {
    pthread_mutex_t* m = &counters_[c].mutex;
    int rc = ::pthread_mutex_trylock(m);  // the uncontended fast path
    while (rc == EBUSY || rc == ETIMEDOUT) {
      if (sys::cancelled())
        sys::throw_cancelled("pthread_mutex_clocklock", names_[c]);
      timespec t = slice_deadline();
      rc = ::pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &t);
    }
    if (rc == EOWNERDEAD) {
      make_consistent(c);
    } else if (rc == ENOTRECOVERABLE) {
      throw std::runtime_error(
          names_[c] +
          ": not recoverable: a process died holding it and the "
          "next owner did not mark it consistent");
    } else {
      sys::check_rc("pthread_mutex_lock", names_[c], rc);
    }
  }
  // The previous owner died holding the mutex; the count is one word, so
  // the protected state is consistent as it stands.
  void make_consistent(int c) {
    ++owner_deaths_;
    sys::check_rc("pthread_mutex_consistent", names_[c],
                  ::pthread_mutex_consistent(&counters_[c].mutex));
  }

  RobustCounter* counters_ = nullptr;
  std::int64_t owner_deaths_ = 0;
  std::array<std::string, kCounters> names_;
};

}  // namespace

std::unique_ptr<Notifier> robust_mutex_notifier() {
  return std::make_unique<RobustMutexNotifier>();
}

TransportInfo shm_mutex_transport() {
  return {"shm_mutex",
          "POSIX shm payload, robust process-shared pthread mutex + "
          "condition variable per counter",
          mailbox_caps("/dev/shm (tmpfs) size caps the region"),
          [](const Config& c) {
            return make_mailbox(c, posix_shm_region(c, "shm_mutex"),
                                robust_mutex_notifier());
          },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
