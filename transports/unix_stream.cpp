// unix_stream: a Unix domain SOCK_STREAM socket whose file lives in the run's
// private 0700 directory. Limits: net.core.wmem_default / rmem_default size
// the socket buffers (recorded as applied); no message boundaries.
// Capacity: a Unix stream socket charges the data queued at the receiver to
// the SENDER's SO_SNDBUF (the receiver's SO_RCVBUF plays no part), so the
// budget per direction is the sender's SO_SNDBUF; default: wmem_default.
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "transports/registry.hpp"
#include "transports/stream_socket.hpp"

namespace ipcb::transports {
namespace {

class UnixStreamTransport final : public StreamSocketTransport {
 public:
  explicit UnixStreamTransport(const Config& c) : path_(c.dir + "/sock") {
    what_ = "unix socket " + path_;
    set_capacity(c.capacity_bytes, c.capacity_bytes, 0, false);
    std::memset(&addr_, 0, sizeof addr_);
    addr_.sun_family = AF_UNIX;
    if (path_.size() >= sizeof addr_.sun_path)
      throw std::invalid_argument("socket path too long: " + path_);
    std::memcpy(addr_.sun_path, path_.c_str(), path_.size() + 1);
  }

  void prepare() override {
    listener_ = sys::Fd(sys::checked("socket", what_, [&] {
      return ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }));
    sys::checked("bind", what_, [&] {
      return ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr_),
                    sizeof addr_);
    });
    bound_ = true;
    sys::checked("listen", what_, [&] { return ::listen(listener_.get(), 1); });
  }
  void connect(Role role) override {
    if (role == Role::kDriver) {
      accept_peer();
      teardown();  // connected: the file is no longer needed
    } else {
      connect_to(reinterpret_cast<sockaddr*>(&addr_), sizeof addr_, AF_UNIX);
    }
  }
  void teardown() noexcept override {
    if (bound_) ::unlink(path_.c_str());
    bound_ = false;
  }

 private:
  std::string path_;
  sockaddr_un addr_;
  bool bound_ = false;
};

}  // namespace

TransportInfo unix_stream_transport() {
  Capabilities caps;
  caps.limits =
      "socket buffers from net.core.{w,r}mem_default (applied size "
      "recorded)";
  return {
      "unix_stream", "Unix domain stream socket (file in private dir)", caps,
      [](const Config& c) { return std::make_unique<UnixStreamTransport>(c); },
      [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
