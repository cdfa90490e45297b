#include "harness/environment.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "harness/cpu.hpp"
#include "sys/fd.hpp"

namespace ipcb::harness {

using sys::read_text_file;

namespace {

std::string cpuinfo_field(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "";
}

std::string run_command(const std::string& cmd) {
  std::string out;
  if (FILE* f = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, f)) out += buf;
    ::pclose(f);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

std::int64_t number_file(const std::string& path) {
  std::string s = read_text_file(path);
  try {
    return s.empty() ? -1 : std::stoll(s);
  } catch (const std::exception&) {
    return -1;
  }
}

std::int64_t default_pipe_capacity() {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  std::int64_t cap = ::fcntl(fds[0], F_GETPIPE_SZ);
  ::close(fds[0]);
  ::close(fds[1]);
  return cap;
}

std::string git_commit(const std::string& dir) {
  std::string q = "'" + dir + "'";
  std::string commit =
      run_command("git -C " + q + " rev-parse HEAD 2>/dev/null");
  if (commit.empty()) return "unknown";
  if (!run_command("git -C " + q + " status --porcelain -uno 2>/dev/null")
           .empty()) {
    commit += "-dirty";
  }
  return commit;
}

}  // namespace

nlohmann::ordered_json capture_environment(const BuildInfo& build,
                                           const ClockInfo& clock,
                                           const RoundTripTimer& timer) {
  utsname u{};
  ::uname(&u);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::string flags = cpuinfo_field("flags");
  nlohmann::ordered_json env;
  env["hostname"] = host;
  env["kernel"] = std::string(u.sysname) + " " + u.release;
  env["kernel_version"] = u.version;
  env["machine"] = u.machine;
  env["cpu_model"] = cpuinfo_field("model name");
  env["cpus_online"] = ::sysconf(_SC_NPROCESSORS_ONLN);
  env["affinity_cpus"] = initial_cpus();
  env["hypervisor"] = flags.find(" hypervisor") != std::string::npos;
  env["scaling_governor"] =
      read_text_file("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  nlohmann::ordered_json governors = nlohmann::ordered_json::object();
  for (int cpu : initial_cpus()) {
    std::string gov =
        read_text_file("/sys/devices/system/cpu/cpu" + std::to_string(cpu) +
                       "/cpufreq/scaling_governor");
    if (!gov.empty()) governors[std::to_string(cpu)] = gov;
  }
  env["scaling_governors"] = governors;
  std::string idle_governor =
      read_text_file("/sys/devices/system/cpu/cpuidle/current_governor_ro");
  if (idle_governor.empty()) {
    idle_governor =
        read_text_file("/sys/devices/system/cpu/cpuidle/current_governor");
  }
  env["cpuidle"] = {
      {"driver",
       read_text_file("/sys/devices/system/cpu/cpuidle/current_driver")},
      {"governor", idle_governor}};
  env["mitigations"] = files_of("/sys/devices/system/cpu/vulnerabilities");
  try {
    env["topology"] = topology_json(machine_topology(), initial_cpus());
  } catch (const std::exception& e) {
    env["topology"] = {{"error", e.what()}};
  }
  env["aslr"] = number_file("/proc/sys/kernel/randomize_va_space");
  env["loadavg"] = read_text_file("/proc/loadavg");
  std::string flags_text = build.cxx_flags;
  while (!flags_text.empty() && flags_text.front() == ' ')
    flags_text.erase(0, 1);
  env["build"] = {{"compiler", build.compiler},
                  {"cxx_flags", flags_text},
                  {"build_type", build.build_type},
                  {"git_commit", git_commit(build.source_dir)}};
  env["clock"] = {{"api", "std::chrono::steady_clock (CLOCK_MONOTONIC)"},
                  {"source", clock.source},
                  {"read_cost_ns", clock.read_cost_ns},
                  {"resolution_ns", clock.resolution_ns},
                  {"min_step_ns", clock.min_step_ns}};
  env["timer"] = timer.to_json();
  env["limits"] = {
      {"pipe_default_capacity_bytes", default_pipe_capacity()},
      {"pipe_max_size_bytes", number_file("/proc/sys/fs/pipe-max-size")},
      {"net_core_wmem_default_bytes",
       number_file("/proc/sys/net/core/wmem_default")},
      {"net_core_rmem_default_bytes",
       number_file("/proc/sys/net/core/rmem_default")},
      {"net_core_wmem_max_bytes", number_file("/proc/sys/net/core/wmem_max")},
      {"net_core_rmem_max_bytes", number_file("/proc/sys/net/core/rmem_max")},
      {"tcp_wmem", read_text_file("/proc/sys/net/ipv4/tcp_wmem")},
      {"tcp_rmem", read_text_file("/proc/sys/net/ipv4/tcp_rmem")},
  };
  return env;
}

std::vector<std::string> environment_warnings(
    const nlohmann::ordered_json& env) {
  std::vector<std::string> w;
  // Every allowed CPU's governor; CPU 0's alone in files that lack them.
  std::map<std::string, std::vector<std::string>> cpus_by_governor;
  if (env.contains("scaling_governors")) {
    for (const auto& [cpu, gov] : env["scaling_governors"].items())
      cpus_by_governor[gov.get<std::string>()].push_back(cpu);
  } else if (std::string gov = env.value("scaling_governor", "");
             !gov.empty()) {
    cpus_by_governor[gov].push_back("0");
  }
  for (const auto& [gov, cpus] : cpus_by_governor) {
    if (gov == "performance") continue;
    std::string list;
    for (const auto& c : cpus) list += (list.empty() ? "" : ",") + c;
    w.push_back("CPU frequency governor is '" + gov + "' on CPU " + list +
                ", not 'performance': set it with `cpupower frequency-set "
                "-g performance` for steadier figures");
  }
  if (env.value("hypervisor", false)) {
    w.push_back(
        "running under a hypervisor: other guests add noise; repeat "
        "runs (--benchmark_repetitions) and compare medians");
  }
  if (env.value("aslr", 0) != 0) {
    w.push_back(
        "address space layout randomisation is on (kernel."
        "randomize_va_space=" +
        std::to_string(env.value("aslr", 0)) +
        "): buffer placement varies between runs; for layout-stable "
        "comparisons run under `setarch -R`");
  }
  const std::string load = env.value("loadavg", "");
  const double load1 = load.empty() ? 0 : std::atof(load.c_str());
  const auto cpus = static_cast<double>(env["affinity_cpus"].size());
  if (load1 > 0.5 * cpus) {
    w.push_back("load average " + load.substr(0, load.find(' ')) + " on " +
                std::to_string(static_cast<int>(cpus)) +
                " CPUs: other work competes with the benchmark; stop it or "
                "expect noisier figures");
  }
  if (env["affinity_cpus"].size() < 2) {
    w.push_back(
        "only one CPU is allowed: driver and peer share it, so "
        "cross-CPU figures are not measured; widen the affinity mask");
  }
  return w;
}

namespace {

// Distinct non-negative values of one field over `pus`.
int distinct(const std::vector<Pu>& pus, int Pu::*field) {
  std::vector<int> seen;
  for (const Pu& pu : pus) {
    const int v = pu.*field;
    if (v >= 0 && std::find(seen.begin(), seen.end(), v) == seen.end())
      seen.push_back(v);
  }
  return static_cast<int>(seen.size());
}

nlohmann::ordered_json counts(const std::vector<Pu>& pus) {
  return {{"packages", distinct(pus, &Pu::package)},
          {"numa_nodes", distinct(pus, &Pu::numa)},
          {"l3_domains", distinct(pus, &Pu::l3)},
          {"cores", distinct(pus, &Pu::core)},
          {"pus", static_cast<int>(pus.size())}};
}

}  // namespace

nlohmann::ordered_json topology_json(const Topology& topo,
                                     const std::vector<int>& allowed) {
  std::vector<Pu> mine;
  for (const Pu& pu : topo.pus) {
    if (std::find(allowed.begin(), allowed.end(), pu.os) != allowed.end())
      mine.push_back(pu);
  }
  int smt = 0;
  for (const Pu& pu : topo.pus) {
    int siblings = 0;
    for (const Pu& other : topo.pus) siblings += other.core == pu.core;
    smt = std::max(smt, siblings);
  }
  nlohmann::ordered_json cpus = nlohmann::ordered_json::array();
  for (const Pu& pu : mine) {
    cpus.push_back({{"cpu", pu.os},
                    {"core", pu.core},
                    {"l3", pu.l3},
                    {"numa", pu.numa},
                    {"package", pu.package}});
  }
  nlohmann::ordered_json j = {{"source", "hwloc"}};
  j["machine"] = counts(topo.pus);
  j["allowed"] = counts(mine);
  j["smt"] = smt;
  j["cpus"] = cpus;
  return j;
}

nlohmann::ordered_json files_of(const std::string& dir) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_type == DT_REG) names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    std::string text = read_text_file(dir + "/" + name);
    out[name] = text.substr(0, text.find('\n'));
  }
  return out;
}

CpuTimes parse_cpu_times(const std::string& proc_stat,
                         const std::vector<int>& cpus) {
  CpuTimes t;
  std::istringstream in(proc_stat);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string label;
    fields >> label;
    if (label.size() <= 3 || label.compare(0, 3, "cpu") != 0) continue;
    int cpu = -1;
    try {
      cpu = std::stoi(label.substr(3));
    } catch (const std::exception&) {
      continue;
    }
    if (std::find(cpus.begin(), cpus.end(), cpu) == cpus.end()) continue;
    // user nice system idle iowait irq softirq steal (guest time is
    // already in user and nice)
    std::int64_t v[8] = {};
    int n = 0;
    while (n < 8 && fields >> v[n]) ++n;
    if (n < 8) continue;
    for (std::int64_t x : v) t.total += x;
    t.steal += v[7];
    ++t.cpus_found;
  }
  return t;
}

CpuTimes read_cpu_times(const std::vector<int>& cpus) {
  return parse_cpu_times(read_text_file("/proc/stat"), cpus);
}

nlohmann::ordered_json steal_between(const std::vector<int>& cpus,
                                     const CpuTimes& start,
                                     const CpuTimes& end) {
  const std::int64_t steal = std::max<std::int64_t>(0, end.steal - start.steal);
  const std::int64_t total = std::max<std::int64_t>(0, end.total - start.total);
  return {{"cpus", cpus},
          {"steal_ticks", steal},
          {"total_ticks", total},
          {"steal_fraction",
           total > 0 ? static_cast<double>(steal) / static_cast<double>(total)
                     : 0.0}};
}

std::optional<std::string> steal_warning(const nlohmann::ordered_json& steal) {
  const double f = steal.value("steal_fraction", 0.0);
  if (f <= kStealWarnFraction) return std::nullopt;
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.1f", 100 * f);
  return std::string("the hypervisor took ") + pct +
         " % of the measured CPUs' time during the run (steal time): other "
         "guests competed for them; repeat the run and compare medians";
}

}  // namespace ipcb::harness
