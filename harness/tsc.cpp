#include "harness/tsc.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "harness/clock.hpp"
#include "sys/fd.hpp"

namespace ipcb::harness {

namespace {

// The flag list: the value of the first "flags" line of a cpuinfo text,
// else the whole text.
std::string_view flag_list(std::string_view text) {
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    if (line.rfind("flags", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string_view::npos) return line.substr(colon + 1);
    }
    at = end + 1;
  }
  return text;
}

bool has_flag(std::string_view list, std::string_view flag) {
  std::size_t at = 0;
  while (at < list.size()) {
    while (at < list.size() &&
           std::isspace(static_cast<unsigned char>(list[at])))
      ++at;
    std::size_t end = at;
    while (end < list.size() &&
           !std::isspace(static_cast<unsigned char>(list[end])))
      ++end;
    if (list.substr(at, end - at) == flag) return true;
    at = end;
  }
  return false;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One TSC reading with the monotonic time at its middle, from the tightest
// of a few clock brackets.
struct Stamp {
  std::uint64_t ticks = 0;
  std::int64_t mono_ns = 0;
};
Stamp bracketed_stamp(bool rdtscp) {
  Stamp best;
  std::int64_t narrowest = INT64_MAX;
  for (int i = 0; i < 7; ++i) {
    const std::int64_t m0 = now_ns();
    const std::uint64_t t = tsc_stop(rdtscp);
    const std::int64_t m1 = now_ns();
    if (m1 - m0 < narrowest) {
      narrowest = m1 - m0;
      best = {t, m0 + (m1 - m0) / 2};
    }
  }
  return best;
}

constexpr int kWindows = 3;
constexpr std::int64_t kWindowNs = 15'000'000;

std::mutex g_timer_mu;
std::unique_ptr<RoundTripTimer> g_timer;

}  // namespace

TscSupport tsc_support_from_flags(std::string_view flags, bool x86_build) {
  TscSupport s;
  if (!x86_build) {
    s.reason = "not an x86 build: no TSC";
    return s;
  }
  const std::string_view list = flag_list(flags);
  std::string missing;
  for (const char* f : {"tsc", "constant_tsc", "nonstop_tsc"}) {
    if (has_flag(list, f)) continue;
    missing += missing.empty() ? "" : ", ";
    missing += f;
  }
  if (!missing.empty()) {
    s.reason = "no invariant TSC: /proc/cpuinfo lacks " + missing;
    return s;
  }
  s.usable = true;
  s.rdtscp = has_flag(list, "rdtscp");
  return s;
}

TscSupport tsc_support() {
  return tsc_support_from_flags(sys::read_text_file("/proc/cpuinfo"),
                                IPCB_HAVE_TSC != 0);
}

TickScale TickScale::for_hz(double hz) {
  TickScale s;
  s.mult = static_cast<std::uint64_t>(
      std::llround(std::ldexp(1e9 / hz, static_cast<int>(kShift))));
  return s;
}

TscCalibration calibrate_tsc(int windows, std::int64_t window_ns, bool rdtscp) {
  TscCalibration c;
  c.window_ns = window_ns;
  for (int w = 0; w < windows; ++w) {
    const Stamp a = bracketed_stamp(rdtscp);
    std::this_thread::sleep_for(std::chrono::nanoseconds(window_ns));
    const Stamp b = bracketed_stamp(rdtscp);
    const double ns = static_cast<double>(b.mono_ns - a.mono_ns);
    if (ns <= 0) continue;
    c.windows_hz.push_back(static_cast<double>(b.ticks - a.ticks) * 1e9 / ns);
  }
  c.hz = median(c.windows_hz);
  if (c.hz > 0) {
    const auto [lo, hi] =
        std::minmax_element(c.windows_hz.begin(), c.windows_hz.end());
    c.spread = (*hi - *lo) / c.hz;
  }
  return c;
}

const char* to_string(TimerChoice c) {
  switch (c) {
    case TimerChoice::kTsc:
      return "tsc";
    case TimerChoice::kClock:
      return "clock";
    case TimerChoice::kAuto:
      break;
  }
  return "auto";
}

double measure_read_cost(const RoundTripTimer& timer) {
  constexpr int kReads = 10001;
  std::vector<double> cost;
  cost.reserve(kReads);
  for (int i = 0; i < kReads; ++i) {
    if (timer.tsc) {
      const std::uint64_t t0 = tsc_start();
      const std::uint64_t t1 = tsc_stop(timer.rdtscp);
      cost.push_back(static_cast<double>(t1 - t0) * 1e9 / timer.calibration.hz);
    } else {
      const std::int64_t t0 = now_ns();
      const std::int64_t t1 = now_ns();
      cost.push_back(static_cast<double>(t1 - t0));
    }
  }
  return median(std::move(cost));
}

RoundTripTimer make_round_trip_timer(TimerChoice choice) {
  RoundTripTimer t;
  t.choice = to_string(choice);
  const TscSupport support = tsc_support();
  if (choice == TimerChoice::kClock) {
    t.reason = "--timer=clock";
  } else if (!support.usable) {
    t.reason = support.reason;
  } else {
    t.rdtscp = support.rdtscp;
    t.calibration = calibrate_tsc(kWindows, kWindowNs, t.rdtscp);
    std::ostringstream why;
    if (t.calibration.hz <= 0) {
      why << "the TSC did not advance against CLOCK_MONOTONIC";
    } else if (choice == TimerChoice::kAuto &&
               t.calibration.spread > kMaxCalibrationSpread) {
      why << "the TSC's calibration windows disagree by "
          << t.calibration.spread * 100 << " % (above "
          << kMaxCalibrationSpread * 100 << " %)";
    }
    t.reason = why.str();
    t.tsc = t.reason.empty();
    if (t.tsc) t.scale = TickScale::for_hz(t.calibration.hz);
  }
  t.read_cost_ns = measure_read_cost(t);
  return t;
}

nlohmann::ordered_json RoundTripTimer::to_json() const {
  nlohmann::ordered_json j = {{"source", source()}, {"choice", choice}};
  if (tsc) {
    j["reads"] = std::string("start: lfence; rdtsc, stop: ") +
                 (rdtscp ? "rdtscp; lfence" : "lfence; rdtsc; lfence");
  } else {
    j["reads"] = "std::chrono::steady_clock (CLOCK_MONOTONIC)";
  }
  if (calibration.hz > 0) {
    j["tsc_hz"] = calibration.hz;
    j["calibration"] = {{"against", "CLOCK_MONOTONIC"},
                        {"window_ns", calibration.window_ns},
                        {"windows_hz", calibration.windows_hz},
                        {"spread", calibration.spread}};
  }
  j["read_cost_ns"] = read_cost_ns;
  j["read_cost_subtracted"] = false;
  if (!tsc) j["reason"] = reason;
  return j;
}

void choose_round_trip_timer(TimerChoice choice) {
  auto timer = std::make_unique<RoundTripTimer>(make_round_trip_timer(choice));
  std::lock_guard lock(g_timer_mu);
  g_timer = std::move(timer);
}

const RoundTripTimer& round_trip_timer() {
  std::lock_guard lock(g_timer_mu);
  if (!g_timer) {
    g_timer = std::make_unique<RoundTripTimer>(
        make_round_trip_timer(TimerChoice::kAuto));
  }
  return *g_timer;
}

}  // namespace ipcb::harness
