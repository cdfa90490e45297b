#include "bench/scenarios.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "harness/clock.hpp"

namespace ipcb::bench {

using harness::now_ns;
using transports::Transport;

namespace {

// A cache-line aligned, pre-faulted message buffer.
class Buffer {
 public:
  explicit Buffer(std::size_t n)
      : n_(std::max<std::size_t>(n, 1)),
        p_(static_cast<std::byte*>(
            std::aligned_alloc(64, (n_ + 63) / 64 * 64))) {
    if (!p_) throw std::bad_alloc();
    std::memset(p_.get(), 0, n_);
  }
  std::byte* data() { return p_.get(); }

 private:
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::size_t n_;
  std::unique_ptr<std::byte, Free> p_;
};

}  // namespace

nlohmann::json Job::to_json() const {
  return {{"scenario", scenario},
          {"message_bytes", message_bytes},
          {"iterations", iterations},
          {"warmup", warmup},
          {"sizes", sizes}};
}

Job Job::from_json(const nlohmann::json& j) {
  Job job;
  job.scenario = j.at("scenario").get<std::string>();
  job.message_bytes = j.at("message_bytes").get<std::size_t>();
  job.iterations = j.at("iterations").get<std::int64_t>();
  job.warmup = j.at("warmup").get<std::int64_t>();
  job.sizes = j.at("sizes").get<std::vector<std::size_t>>();
  return job;
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
      f.action != "hang")
    throw std::invalid_argument(
        "fault: action must be exit, crash, kill or hang");
  if (f.phase != "connect" && f.phase != "run")
    throw std::invalid_argument("fault: phase must be connect or run");
  return f;
}

void Fault::fire() const {
  if (action == "crash") ::kill(::getpid(), SIGSEGV);
  if (action == "kill") ::kill(::getpid(), SIGKILL);
  if (action == "hang") {
    for (;;) ::pause();
  }
  ::_exit(3);
}

std::vector<std::string> scenario_names() { return {"pingpong", "stream"}; }

bool is_scenario(const std::string& name) {
  auto n = scenario_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

std::int64_t warmup_count(std::size_t message_bytes) {
  const std::int64_t by_volume = static_cast<std::int64_t>(
      (16u << 20) / std::max<std::size_t>(message_bytes, 1));
  return std::clamp<std::int64_t>(by_volume, 10, 1000);
}

void fill_pattern(std::byte* p, std::size_t n, std::uint32_t seed) {
  std::uint32_t x = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    p[i] = static_cast<std::byte>(x >> 24);
  }
}

std::int64_t check_pattern(const std::byte* p, std::size_t n,
                           std::uint32_t seed) {
  std::uint32_t x = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    if (p[i] != static_cast<std::byte>(x >> 24))
      return static_cast<std::int64_t>(i);
  }
  return -1;
}

std::uint64_t word_sum(const std::byte* p, std::size_t n) {
  std::uint64_t sum = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    sum += w;
  }
  for (; i < n; ++i) sum += static_cast<std::uint8_t>(p[i]);
  return sum;
}

void drive_pingpong(benchmark::State& state, Transport& t, const Job& job,
                    Measurement& m) {
  const std::size_t n = job.message_bytes;
  Buffer out(n), in(n);
  fill_pattern(out.data(), n, 1);
  for (std::int64_t i = 0; i < job.warmup; ++i) {
    t.send(out.data(), n);
    t.recv(in.data(), n);
  }
  m.rtt_ns.assign(static_cast<std::size_t>(job.iterations), 0);  // pre-faulted
  std::int64_t* sample = m.rtt_ns.data();
  for (auto _ : state) {
    const std::int64_t t0 = now_ns();
    t.send(out.data(), n);
    t.recv(in.data(), n);
    const std::int64_t t1 = now_ns();
    *sample++ = t1 - t0;
    state.SetIterationTime(static_cast<double>(t1 - t0) * 1e-9);
  }
}

void drive_stream(benchmark::State& state, Transport& t, const Job& job,
                  Measurement& m) {
  const std::size_t n = job.message_bytes;
  Buffer out(n);
  std::byte ack[1];
  fill_pattern(out.data(), n, 2);
  for (std::int64_t i = 0; i < job.warmup; ++i) t.send(out.data(), n);
  t.recv(ack, 1);
  m.expected_sum =
      word_sum(out.data(), n) * static_cast<std::uint64_t>(job.iterations);
  std::int64_t sent = 0, t0 = 0;
  for (auto _ : state) {
    if (sent == 0) t0 = now_ns();
    t.send(out.data(), n);
    if (++sent == job.iterations) {
      t.recv(ack, 1);  // the consumer has received and touched everything
      m.elapsed_ns = now_ns() - t0;
      state.SetIterationTime(static_cast<double>(m.elapsed_ns) * 1e-9);
    }
  }
}

void drive_conformance(Transport& t, const Job& job) {
  for (std::size_t size : job.sizes) {
    Buffer out(size), in(size);
    fill_pattern(out.data(), size, static_cast<std::uint32_t>(size));
    t.send(out.data(), size);
    t.recv(in.data(), size);
    auto bad =
        check_pattern(in.data(), size, static_cast<std::uint32_t>(size) + 1);
    if (bad >= 0) {
      throw std::runtime_error("reply of " + std::to_string(size) +
                               " B differs at byte " + std::to_string(bad));
    }
  }
}

namespace {

nlohmann::json serve_pingpong(Transport& t, const Job& job, const Fault& f) {
  const std::size_t n = job.message_bytes;
  Buffer buf(n);
  const std::int64_t total = job.warmup + job.iterations;
  const std::int64_t fault_at = f.armed_for("run") ? f.after : -1;
  for (std::int64_t i = 0; i < total; ++i) {
    if (i == fault_at) f.fire();
    t.recv(buf.data(), n);
    t.send(buf.data(), n);
  }
  return nlohmann::json::object();
}

nlohmann::json serve_stream(Transport& t, const Job& job, const Fault& f) {
  const std::size_t n = job.message_bytes;
  Buffer buf(n);
  const std::byte ack[1] = {std::byte{1}};
  const std::int64_t fault_at = f.armed_for("run") ? f.after : -1;
  for (std::int64_t i = 0; i < job.warmup; ++i) t.recv(buf.data(), n);
  t.send(ack, 1);
  std::uint64_t sum = 0;
  for (std::int64_t i = 0; i < job.iterations; ++i) {
    if (i == fault_at) f.fire();
    t.recv(buf.data(), n);
    sum += word_sum(buf.data(), n);
  }
  t.send(ack, 1);
  return {{"word_sum", sum}};
}

nlohmann::json serve_conformance(Transport& t, const Job& job) {
  for (std::size_t size : job.sizes) {
    Buffer buf(size);
    t.recv(buf.data(), size);
    auto bad =
        check_pattern(buf.data(), size, static_cast<std::uint32_t>(size));
    if (bad >= 0) {
      throw std::runtime_error("message of " + std::to_string(size) +
                               " B differs at byte " + std::to_string(bad));
    }
    fill_pattern(buf.data(), size, static_cast<std::uint32_t>(size) + 1);
    t.send(buf.data(), size);
  }
  return nlohmann::json::object();
}

}  // namespace

nlohmann::json serve(Transport& t, const Job& job, const Fault& fault) {
  if (job.scenario == "pingpong") return serve_pingpong(t, job, fault);
  if (job.scenario == "stream") return serve_stream(t, job, fault);
  if (job.scenario == "conformance") return serve_conformance(t, job);
  throw std::invalid_argument("unknown scenario '" + job.scenario + "'");
}

}  // namespace ipcb::bench
