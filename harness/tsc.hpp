// The round-trip timer: an invariant TSC read with fences, calibrated
// against CLOCK_MONOTONIC at start-up, where the CPU has one; else
// CLOCK_MONOTONIC itself (harness/clock.hpp), which costs ~20 ns a read and
// so cannot time a sub-microsecond round trip on its own.
//
// Contract. Ticks of tsc_start()/tsc_stop() are only compared on one CPU
// (the driver is pinned) and only where tsc_support() said yes. Nothing is
// subtracted from a measurement: the timer's own cost (an empty start/stop
// pair) is measured and recorded beside it. round_trip_timer() is chosen
// and calibrated once per process (choose_round_trip_timer, or on first
// use with the automatic choice) and is read-only afterwards.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define IPCB_HAVE_TSC 1
#else
#define IPCB_HAVE_TSC 0
#endif

namespace ipcb::harness {

// Whether a TSC may time intervals here, and why not.
struct TscSupport {
  bool usable = false;
  bool rdtscp = false;  // the stop read may use rdtscp
  std::string reason;   // empty when usable, else what is missing
};

// From the "flags" line of /proc/cpuinfo (the whole text or the line's
// value): usable when the build is for x86 and the flags name tsc,
// constant_tsc (a fixed rate whatever the frequency) and nonstop_tsc (it
// keeps counting in deep C-states).
TscSupport tsc_support_from_flags(std::string_view flags, bool x86_build);
// This machine's answer (reads /proc/cpuinfo).
TscSupport tsc_support();

// ticks -> ns as (ticks * mult + half) >> kShift, in 128-bit arithmetic so
// that no interval a run can have overflows. With a 52-bit shift the
// rounding of mult is below 1 ns in 10^6 s at any TSC rate from 1 MHz
// (where mult still fits 64 bits) up.
struct TickScale {
  static constexpr unsigned kShift = 52;
  std::uint64_t mult = 0;
  static TickScale for_hz(double hz);
  std::int64_t to_ns(std::int64_t ticks) const noexcept {
    const unsigned __int128 p =
        static_cast<unsigned __int128>(static_cast<std::uint64_t>(ticks)) *
            mult +
        (static_cast<unsigned __int128>(1) << (kShift - 1));
    return static_cast<std::int64_t>(p >> kShift);
  }
};

// The start read: lfence waits for what came before, then rdtsc.
inline std::uint64_t tsc_start() noexcept {
#if IPCB_HAVE_TSC
  _mm_lfence();
  return __rdtsc();
#else
  return 0;
#endif
}

// The stop read: rdtscp waits for what came before, lfence keeps what
// follows from starting early; without rdtscp, lfence; rdtsc; lfence.
inline std::uint64_t tsc_stop(bool rdtscp) noexcept {
#if IPCB_HAVE_TSC
  std::uint64_t t;
  if (rdtscp) {
    unsigned aux;
    t = __rdtscp(&aux);
  } else {
    _mm_lfence();
    t = __rdtsc();
  }
  _mm_lfence();
  return t;
#else
  (void)rdtscp;
  return 0;
#endif
}

// TSC ticks per second against CLOCK_MONOTONIC: one estimate per window
// (each window's ends bracketed by clock reads), the median kept; spread
// is (max - min) / median.
struct TscCalibration {
  double hz = 0;
  double spread = 0;
  std::vector<double> windows_hz;
  std::int64_t window_ns = 0;
};
TscCalibration calibrate_tsc(int windows, std::int64_t window_ns, bool rdtscp);

// Above this calibration spread the TSC is not trusted (auto) or is
// recorded as it is (forced).
inline constexpr double kMaxCalibrationSpread = 0.001;

// --timer: auto (the TSC where usable, else the clock), tsc, clock.
enum class TimerChoice { kAuto, kTsc, kClock };
const char* to_string(TimerChoice c);

// The timer the round-trip loops use.
struct RoundTripTimer {
  bool tsc = false;     // else CLOCK_MONOTONIC
  bool rdtscp = false;  // the stop read (tsc only)
  TickScale scale;      // tsc only
  TscCalibration calibration;
  double read_cost_ns = 0;  // an empty start/stop pair, median
  std::string reason;       // why the clock, when it is the clock
  std::string choice = "auto";

  const char* source() const { return tsc ? "tsc" : "clock_monotonic"; }
  // environment.timer: source, tsc_hz, calibration, read_cost_ns, reason.
  nlohmann::ordered_json to_json() const;
};

// Decides and calibrates (some 50 ms with a TSC).
RoundTripTimer make_round_trip_timer(TimerChoice choice);
// Sets the process's timer; call once before any case runs.
void choose_round_trip_timer(TimerChoice choice);
// The process's timer (the automatic choice if none was set).
const RoundTripTimer& round_trip_timer();

// Median cost in ns of an empty start/stop pair of `timer`.
double measure_read_cost(const RoundTripTimer& timer);

}  // namespace ipcb::harness
