#include "bench/job.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ipcb::bench {

nlohmann::json Job::to_json() const {
  return {{"scenario", scenario},     {"message_bytes", message_bytes},
          {"iterations", iterations}, {"warmup", warmup},
          {"batch", batch},           {"verify", verify},
          {"rate_per_s", rate_per_s}, {"sizes", sizes},
          {"producers", producers},   {"producer", producer},
          {"stride", stride},         {"consumers", consumers},
          {"consumer", consumer},     {"finish_fd", finish_fd},
          {"may_drop", may_drop},     {"malloc", malloc}};
}

Job Job::from_json(const nlohmann::json& j) {
  Job job;
  job.scenario = j.at("scenario").get<std::string>();
  job.message_bytes = j.at("message_bytes").get<std::size_t>();
  job.iterations = j.at("iterations").get<std::int64_t>();
  job.warmup = j.at("warmup").get<std::int64_t>();
  job.batch = j.at("batch").get<std::int64_t>();
  job.verify = j.at("verify").get<bool>();
  job.rate_per_s = j.at("rate_per_s").get<double>();
  job.sizes = j.at("sizes").get<std::vector<std::size_t>>();
  job.producers = j.value("producers", 0);
  job.producer = j.value("producer", 0);
  job.stride = j.value("stride", std::int64_t{1});
  job.consumers = j.value("consumers", 0);
  job.consumer = j.value("consumer", 0);
  job.finish_fd = j.value("finish_fd", -1);
  job.may_drop = j.value("may_drop", false);
  job.malloc = j.value("malloc", std::string("glibc"));
  return job;
}

std::int64_t warmup_count(std::size_t message_bytes) {
  const std::int64_t by_volume = static_cast<std::int64_t>(
      (16u << 20) / std::max<std::size_t>(message_bytes, 1));
  return std::clamp<std::int64_t>(by_volume, 10, 1000);
}

std::int64_t warmup_for_time(std::int64_t messages, std::int64_t took_ns) {
  if (messages <= 0 || took_ns >= kMinWarmupNs) return messages;
  if (took_ns <= 0) return std::min(messages * 10, kMaxWarmupMessages);
  // 1.5x the count the measured pace gives, rounded up.
  const long double needed =
      static_cast<long double>(messages) * kMinWarmupNs * 3 / (2.0L * took_ns);
  const auto n = static_cast<std::int64_t>(std::ceil(needed));
  return std::clamp(n, messages, kMaxWarmupMessages);
}

std::int64_t batch_for_round_trip(std::int64_t rtt_p50_ns) {
  if (rtt_p50_ns <= 0 || rtt_p50_ns >= kMinBatchSampleNs) return 1;
  return std::min<std::int64_t>(
      1000, (kMinBatchSampleNs + rtt_p50_ns - 1) / rtt_p50_ns);
}

Fault Fault::parse(const std::string& spec) {
  Fault f;
  if (spec.empty()) return f;
  auto at = spec.find('@');
  if (at == std::string::npos)
    throw std::invalid_argument("fault: need action@phase");
  f.action = spec.substr(0, at);
  std::string rest = spec.substr(at + 1);
  auto colon = rest.find(':');
  f.phase = rest.substr(0, colon);
  if (colon != std::string::npos) f.after = std::stoll(rest.substr(colon + 1));
  if (f.action != "exit" && f.action != "crash" && f.action != "kill" &&
      f.action != "hang" && f.action != "stop" && f.action != "corrupt")
    throw std::invalid_argument(
        "fault: action must be exit, crash, kill, hang, stop or corrupt");
  if (f.phase != "connect" && f.phase != "run")
    throw std::invalid_argument("fault: phase must be connect or run");
  return f;
}

void Fault::fire() const {
  if (action == "crash") ::kill(::getpid(), SIGSEGV);
  if (action == "kill") ::kill(::getpid(), SIGKILL);
  if (action == "stop") ::kill(::getpid(), SIGSTOP);  // until SIGKILLed
  if (action == "hang") {
    for (;;) ::pause();
  }
  ::_exit(3);
}

}  // namespace ipcb::bench
