// What stream and rate share: the driver sends one way, the peer receives,
// touches every byte and confirms with one byte after the warm-up and after
// the last message.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "bench/framing.hpp"
#include "bench/job.hpp"
#include "bench/report.hpp"
#include "harness/clock.hpp"
#include "transports/transport.hpp"

namespace ipcb::bench::streaming {

using harness::now_ns;
using transports::Transport;

// One-way warm-up of stream and rate: untimed messages (the peer records
// nothing for them), then the peer's 1-byte confirmation.
template <bool kVerify>
void send_warmup(Transport& t, std::byte* out, const Job& job,
                 const Verifier& stamper, std::uint64_t& seq) {
  for (std::int64_t i = 0; i < job.warmup; ++i) {
    if constexpr (kVerify) stamper.stamp(out, seq++);
    t.send(out, job.message_bytes);
  }
  std::byte ack[1];
  t.recv(ack, 1);
}

// The sending side of stream and rate, set up before the timed loop: the
// message (`job.message_bytes` of fill pattern `pattern`), the stamper that
// numbers it under --verify, and the warm-up already sent and confirmed.
template <bool kVerify>
struct Sender {
  Sender(Transport& t, const Job& job, int pattern)
      : out(job.message_bytes), stamper(job.message_bytes) {
    fill_pattern(out.data(), job.message_bytes, pattern);
    send_warmup<kVerify>(t, out.data(), job, stamper, seq);
  }
  // Numbers the next message (--verify only; nothing otherwise).
  void stamp() {
    if constexpr (kVerify) stamper.stamp(out.data(), seq++);
  }

  Buffer out;
  Verifier stamper;
  std::uint64_t seq = 0;
};

inline nlohmann::json serve_stream(Transport& t, const Job& job, const Fault& f,
                                   bool rate) {
  const std::size_t n = job.message_bytes;
  Buffer buf(n);
  Verifier checker(n);
  const std::byte ack[1] = {std::byte{1}};
  const std::int64_t fault_at = f.armed_for("run") ? f.after : -1;
  // Rate's sample arrays, written (so their pages are present) before the
  // warm-up is confirmed: the first timed messages pay no page faults.
  // Per message: from the intended send time, from the actual one, and the
  // sender's lag between the two (a late timer, not the transport).
  std::vector<std::int64_t> late, transit, lag;
  if (rate) {
    const auto count = static_cast<std::size_t>(job.iterations);
    late.assign(count, 0);
    transit.assign(count, 0);
    lag.assign(count, 0);
  }
  // The fault count includes warm-up messages, as in pingpong, so that a
  // short run still reaches it.
  for (std::int64_t i = 0; i < job.warmup; ++i) {
    if (i == fault_at) f.fire();
    t.recv(buf.data(), n);
    if (job.verify) checker.check(buf.data());
  }
  t.send(ack, 1);
  timed_phase_begins();
  std::uint64_t sum = 0;
  for (std::int64_t i = 0; i < job.iterations; ++i) {
    if (i + job.warmup == fault_at) f.fire();
    t.recv(buf.data(), n);
    if (rate) {
      const std::int64_t now = now_ns();
      const auto intended = static_cast<std::int64_t>(get64(buf.data() + kTsA));
      const auto sent = static_cast<std::int64_t>(get64(buf.data() + kTsB));
      const auto k = static_cast<std::size_t>(i);
      late[k] = now - intended;
      transit[k] = now - sent;
      lag[k] = sent - intended;
    }
    sum += word_sum(buf.data(), n);
    if (job.verify) checker.check(buf.data());
  }
  t.send(ack, 1);
  timed_phase_ends();
  nlohmann::json out = {{"word_sum", sum},
                        {"integrity", checker.counts().to_json()}};
  if (rate) {
    out["latency_from_intended"] = distribution_json(late);
    out["latency_from_actual_send"] = distribution_json(transit);
    out["sender_lag"] = distribution_json(lag);
  }
  return out;
}

}  // namespace ipcb::bench::streaming
