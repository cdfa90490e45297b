#include "bench/cpu_cost.hpp"

#include <sys/resource.h>

namespace ipcb::bench {

CpuCost CpuCost::now(bool whole_process) {
  rusage ru{};
  ::getrusage(whole_process ? RUSAGE_SELF : RUSAGE_THREAD, &ru);
  auto ns = [](const timeval& tv) {
    return tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
  };
  return {ns(ru.ru_utime), ns(ru.ru_stime), ru.ru_nvcsw, ru.ru_nivcsw};
}

CpuCost CpuCost::operator-(const CpuCost& o) const {
  return {user_ns - o.user_ns, system_ns - o.system_ns,
          voluntary_switches - o.voluntary_switches,
          involuntary_switches - o.involuntary_switches};
}

CpuCost& CpuCost::operator+=(const CpuCost& o) {
  user_ns += o.user_ns;
  system_ns += o.system_ns;
  voluntary_switches += o.voluntary_switches;
  involuntary_switches += o.involuntary_switches;
  return *this;
}

nlohmann::json CpuCost::to_json() const {
  return {{"user_ns", user_ns},
          {"system_ns", system_ns},
          {"voluntary_switches", voluntary_switches},
          {"involuntary_switches", involuntary_switches}};
}

CpuCost CpuCost::from_json(const nlohmann::json& j) {
  return {j.value("user_ns", std::int64_t{0}),
          j.value("system_ns", std::int64_t{0}),
          j.value("voluntary_switches", std::int64_t{0}),
          j.value("involuntary_switches", std::int64_t{0})};
}

}  // namespace ipcb::bench
