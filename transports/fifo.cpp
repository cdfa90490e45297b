// fifo: two named pipes (mkfifo, mode 0600) in the run's private 0700
// directory, one per direction. Same kernel path as pipe once open; the
// difference is the naming and the open() rendezvous. Limits as for pipe.
// Capacity as for pipe: the driver sizes both FIFOs once they are open.
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "transports/capacity.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

class FifoTransport final : public Transport {
 public:
  explicit FifoTransport(const Config& c)
      : a2b_(c.dir + "/fifo-a2b"),
        b2a_(c.dir + "/fifo-b2a"),
        capacity_(c.capacity_bytes) {}

  void prepare() override {
    sys::checked("mkfifo", a2b_, [&] { return ::mkfifo(a2b_.c_str(), 0600); });
    created_ = true;
    sys::checked("mkfifo", b2a_, [&] { return ::mkfifo(b2a_.c_str(), 0600); });
  }
  void connect(Role role) override {
    // Both sides open a->b first, so the blocking opens pair up.
    if (role == Role::kDriver) {
      out_ = open_fifo(a2b_, O_WRONLY);
      in_ = open_fifo(b2a_, O_RDONLY);
      // Before the start gate: nothing is written yet.
      size_pipe(out_.get(), capacity_, a2b_);
      size_pipe(in_.get(), capacity_, b2a_);
    } else {
      in_ = open_fifo(a2b_, O_RDONLY);
      out_ = open_fifo(b2a_, O_WRONLY);
    }
  }
  void send(const std::byte* d, std::size_t n) override {
    sys::write_exact(out_.get(), d, n, a2b_);
  }
  void recv(std::byte* d, std::size_t n) override {
    sys::read_exact(in_.get(), d, n, b2a_);
  }
  void teardown() noexcept override {
    if (!created_) return;
    ::unlink(a2b_.c_str());
    ::unlink(b2a_.c_str());
    created_ = false;
  }
  std::map<std::string, std::int64_t> applied_settings() const override {
    if (!out_) return {};
    return {{"pipe_capacity_bytes", ::fcntl(out_.get(), F_GETPIPE_SZ)}};
  }
  Capacity capacity() const override {
    return pipe_capacity(out_.get(), in_.get(), capacity_);
  }

 private:
  static sys::Fd open_fifo(const std::string& path, int mode) {
    return sys::Fd(sys::checked("open", path, [&] {
      return ::open(path.c_str(), mode | O_CLOEXEC | O_NOFOLLOW);
    }));
  }

  std::string a2b_, b2a_;
  std::size_t capacity_;
  bool created_ = false;
  sys::Fd out_, in_;
};

}  // namespace

TransportInfo fifo_transport() {
  Capabilities caps;
  caps.limits = "as pipe; FIFOs live in a private 0700 directory";
  caps.fanin_max_bytes = PIPE_BUF;  // as pipe: each producer opens b->a
  return {"fifo", "two named pipes (mkfifo) in a private directory", caps,
          [](const Config& c) { return std::make_unique<FifoTransport>(c); },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
