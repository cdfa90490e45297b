// pipe: two anonymous pipes (pipe2), one per direction, inherited by the peer
// across exec. A stream: send/recv loop until the whole message moved.
// Limits: the pipe buffer (default 64 KiB, F_GETPIPE_SZ; raise a pipe with
// F_SETPIPE_SZ up to /proc/sys/fs/pipe-max-size). Writes up to PIPE_BUF
// (4096 B) are atomic; larger messages are split by the kernel.
// Capacity: default, the kernel's 64 KiB; equal, both pipes F_SETPIPE_SZ'd
// to the budget (rounded up to a power of two pages by the kernel).
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "transports/capacity.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

class PipeTransport final : public Transport {
 public:
  explicit PipeTransport(const Config& c) : config_(c) {}

  void prepare() override {
    make_pipe(a2b_read_, a2b_write_, "pipe a->b");
    make_pipe(b2a_read_, b2a_write_, "pipe b->a");
    size_pipe(a2b_write_.get(), config_.capacity_bytes, "pipe a->b");
    size_pipe(b2a_write_.get(), config_.capacity_bytes, "pipe b->a");
  }
  std::vector<int> inherited_fds() const override {
    return {a2b_read_.get(), b2a_write_.get()};
  }
  nlohmann::json handoff() const override {
    return {{"read_fd", a2b_read_.get()}, {"write_fd", b2a_write_.get()}};
  }
  void adopt(const nlohmann::json& h) override {
    a2b_read_.reset(h.at("read_fd").get<int>());
    b2a_write_.reset(h.at("write_fd").get<int>());
  }
  void connect(Role role) override {
    if (role == Role::kDriver) {
      // Close the peer's ends so that a dead peer shows up as EOF/EPIPE.
      a2b_read_.reset();
      b2a_write_.reset();
      out_ = a2b_write_.get();
      in_ = b2a_read_.get();
    } else {
      out_ = b2a_write_.get();
      in_ = a2b_read_.get();
    }
  }
  void send(const std::byte* d, std::size_t n) override {
    sys::write_exact(out_, d, n, "pipe");
  }
  void recv(std::byte* d, std::size_t n) override {
    sys::read_exact(in_, d, n, "pipe");
  }
  void teardown() noexcept override {}  // nothing named
  std::map<std::string, std::int64_t> applied_settings() const override {
    int fd = out_ >= 0 ? out_ : a2b_write_.get();
    if (fd < 0) return {};
    return {{"pipe_capacity_bytes", ::fcntl(fd, F_GETPIPE_SZ)}};
  }
  Capacity capacity() const override {
    return pipe_capacity(out_, in_, config_.capacity_bytes);
  }

 private:
  static void make_pipe(sys::Fd& r, sys::Fd& w, const char* what) {
    int fds[2];
    sys::checked("pipe2", what, [&] { return ::pipe2(fds, O_CLOEXEC); });
    r.reset(fds[0]);
    w.reset(fds[1]);
  }

  Config config_;
  sys::Fd a2b_read_, a2b_write_, b2a_read_, b2a_write_;
  int out_ = -1, in_ = -1;
};

}  // namespace

TransportInfo pipe_transport() {
  Capabilities caps;
  caps.preserves_boundaries = false;
  caps.limits =
      "pipe buffer 64 KiB by default (fs.pipe-max-size caps F_SETPIPE_SZ); "
      "writes > PIPE_BUF are split";
  // Fan-in: producers share the inherited write end; a write of at most
  // PIPE_BUF bytes is atomic, so messages up to that size never interleave.
  caps.fanin_max_bytes = PIPE_BUF;
  return {"pipe", "two anonymous pipes (pipe2), one per direction", caps,
          [](const Config& c) { return std::make_unique<PipeTransport>(c); },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
