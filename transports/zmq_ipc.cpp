// zmq_ipc: ZeroMQ PAIR sockets over ipc://<private dir>/zmq.sock (a Unix
// domain stream socket underneath, driven by ZeroMQ's I/O thread on each
// side). The driver binds in prepare(), the peer connects. teardown() closes
// the socket (ZeroMQ unlinks the file it bound) and unlinks the file again in
// case it remains. Limits: none of its own (one zmq message per message);
// ZMQ_SNDHWM/RCVHWM cap each queue at ~8 MiB (recorded); the Unix socket
// buffers come from net.core.wmem_default/rmem_default.
#include <sys/stat.h>
#include <unistd.h>

#include "transports/registry.hpp"
#include "transports/zmq_pair.hpp"

namespace ipcb::transports {
namespace {

class ZmqIpcTransport final : public ZmqPairTransport {
 public:
  explicit ZmqIpcTransport(const Config& c)
      : ZmqPairTransport(c, "ipc://" + c.dir + "/zmq.sock"),
        path_(c.dir + "/zmq.sock") {}

  void prepare() override {
    // ZeroMQ would silently unlink a file already there: refuse instead.
    struct stat st;
    if (::lstat(path_.c_str(), &st) == 0) {
      throw std::runtime_error("zmq_ipc: " + path_ +
                               " already exists; refusing to replace it");
    }
    bound_ = true;  // from here on teardown() owns the file
    ZmqPairTransport::prepare();
  }
  void teardown() noexcept override {
    ZmqPairTransport::teardown();
    if (bound_) ::unlink(path_.c_str());
    bound_ = false;
  }

 private:
  std::string path_;
  bool bound_ = false;
};

}  // namespace

TransportInfo zmq_ipc_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.fanin_max_bytes = kAnySize;  // PUSH/PULL, one zmq message each
  caps.fanout = Fanout::kMayDrop;   // XPUB/SUB: PUB drops at the HWM
  caps.limits =
      "no size limit (one zmq message per message); SNDHWM/RCVHWM sized to "
      "~8 MiB per queue (recorded); socket file in the private directory";
  return {"zmq_ipc",
          "ZeroMQ PAIR (fan-in: PUSH/PULL, fan-out: XPUB/SUB) over ipc:// "
          "(socket file in private "
          "dir)",
          caps,
          [](const Config& c) { return std::make_unique<ZmqIpcTransport>(c); },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
