// ipcb_delay_line: a userspace Ethernet delay line between two interfaces,
// for the two-host test lab (netlab.hpp). This kernel has no sch_netem
// (CONFIG_NET_SCH_NETEM is not set) and no nft/iptables, so the lab's delay
// and loss are made here.
//
//   ipcb_delay_line --a=IFACE --b=IFACE [--delay-us=AB[,BA]] [--loss]
//                   [--spin-us=N] [--control-fd=N]
//
// It runs in a network namespace holding the two interfaces (veth ends) and
// forwards every frame received on one out of the other, unchanged: a
// transparent L2 link, so ARP and everything else crosses it too. Each frame
// is held until its arrival time (CLOCK_MONOTONIC, read when it is received)
// plus the delay of its direction (a->b or b->a, in microseconds), and the
// frames of one direction leave in the order they arrived. The wait is a
// ppoll() with a timeout and a timer slack of 1 ns, ending --spin-us
// (default 50) before the next frame is due; the last stretch is a spin on
// the clock, since this machine's timer wake-ups come 25-70 us late. So a
// frame leaves within a few microseconds of its time, and nothing spins
// while no frame is held (--spin-us=0: never).
//
// Offloads: frames are read and written with PACKET_VNET_HDR, so a TCP
// segment of up to 64 KiB that the veth hands over whole (TSO/GSO) crosses
// as one frame and is segmented, and its checksum completed, by the kernel
// on the way out; the read buffer holds 256 KiB. Frames this socket sent
// itself (PACKET_OUTGOING) are ignored, so nothing loops.
//
// Controls, applied while it runs:
// - SIGUSR1: loss mode on (every frame is dropped, including those held);
//   SIGUSR2: loss mode off (frames are delivered again).
// - --control-fd=N: a SOCK_SEQPACKET socket; each message is one command,
//   answered by one message "ok ..." once it is in effect, or "error: ...":
//     delay AB BA      the delays in microseconds, for frames arriving from
//                      now on (the order of each direction is kept)
//     loss on|off      as SIGUSR1/SIGUSR2
//     stats            "ok ab=N ba=N dropped=N late_us_mean=X late_us_max=Y"
//                      (frames forwarded each way, frames dropped, and how
//                      long after their due time frames left)
//   "ready" is sent on it once both interfaces are open; when the other end
//   closes (its owner died), the delay line exits.
// - SIGTERM/SIGINT: exit 0 at once (held frames are dropped).
// It prints one line of counts on stderr at exit; errors are one line on
// stderr and exit status 1; bad usage exits 2.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sys/checked.hpp"
#include "sys/fd.hpp"

namespace {

using ipcb::sys::checked;
using ipcb::sys::Fd;

// struct virtio_net_hdr (linux/virtio_net.h, which C++ cannot include: a
// member is named "class"), before each frame with PACKET_VNET_HDR.
constexpr std::size_t kVnetHdrBytes = 10;
constexpr std::size_t kFrameBuffer = 256 * 1024;
// A direction holding more than this many bytes drops what arrives (a link
// buffer): 1 Gbit/s for 0.5 s.
constexpr std::size_t kMaxHeldBytes = 64u << 20;

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct Frame {
  std::int64_t due_ns;
  std::vector<unsigned char> bytes;  // virtio_net_hdr + Ethernet frame
};

// One direction: frames read on `in`, held, then written on `out`.
struct Direction {
  const char* name;  // "a->b"
  int in = -1;
  int out = -1;
  std::int64_t delay_ns = 0;
  std::deque<Frame> held;
  std::size_t held_bytes = 0;
  std::uint64_t forwarded = 0;
  std::uint64_t dropped = 0;
  std::int64_t late_ns_sum = 0;  // how long after due frames left
  std::int64_t late_ns_max = 0;
};

Fd open_interface(const std::string& name) {
  const unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0)
    throw std::runtime_error("interface " + name + ": " + std::strerror(errno) +
                             " (run the delay line in the namespace that "
                             "holds it)");
  Fd fd(checked("socket(AF_PACKET)", name, [] {
    return ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    htons(ETH_P_ALL));
  }));
  const int one = 1;
  checked("setsockopt(PACKET_VNET_HDR)", name, [&] {
    return ::setsockopt(fd.get(), SOL_PACKET, PACKET_VNET_HDR, &one,
                        sizeof one);
  });
  checked("setsockopt(PACKET_IGNORE_OUTGOING)", name, [&] {
    return ::setsockopt(fd.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
                        sizeof one);
  });
  const int rcvbuf = 4 << 20;
  checked("setsockopt(SO_RCVBUFFORCE)", name, [&] {
    return ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
                        sizeof rcvbuf);
  });
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(index);
  checked("bind(AF_PACKET)", name, [&] {
    return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sll), sizeof sll);
  });
  // Frames addressed to the host on the other side, not to this interface.
  packet_mreq mr{};
  mr.mr_ifindex = static_cast<int>(index);
  mr.mr_type = PACKET_MR_PROMISC;
  checked("setsockopt(PACKET_ADD_MEMBERSHIP)", name, [&] {
    return ::setsockopt(fd.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
                        sizeof mr);
  });
  return fd;
}

class DelayLine {
 public:
  DelayLine(const std::string& a, const std::string& b, std::int64_t ab_us,
            std::int64_t ba_us, bool loss, std::int64_t spin_us, int control)
      : a_(open_interface(a)),
        b_(open_interface(b)),
        control_(control),
        spin_ns_(spin_us * 1000) {
    ab_.name = "a->b";
    ab_.in = a_.get();
    ab_.out = b_.get();
    ab_.delay_ns = ab_us * 1000;
    ba_.name = "b->a";
    ba_.in = b_.get();
    ba_.out = a_.get();
    ba_.delay_ns = ba_us * 1000;
    loss_ = loss;
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&set, s);
    checked("sigprocmask", "delay line signals",
            [&] { return ::sigprocmask(SIG_BLOCK, &set, nullptr); });
    signals_.reset(checked("signalfd", "delay line signals", [&] {
      return ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    }));
    buffer_.resize(kFrameBuffer);
  }

  // Runs until SIGTERM/SIGINT or the control socket closes.
  void run() {
    if (control_ >= 0) reply("ready");
    for (;;) {
      pollfd fds[4] = {{a_.get(), POLLIN, 0},
                       {b_.get(), POLLIN, 0},
                       {signals_.get(), POLLIN, 0},
                       {control_, POLLIN, 0}};
      const nfds_t n = control_ >= 0 ? 4 : 3;
      timespec timeout{};
      const timespec* wait = next_timeout(&timeout);
      checked("ppoll", "delay line",
              [&] { return ::ppoll(fds, n, wait, nullptr); });
      if (fds[2].revents && !read_signals()) return;
      if (n == 4 && fds[3].revents && !read_control()) return;
      if (fds[0].revents) receive(ab_);
      if (fds[1].revents) receive(ba_);
      std::int64_t now = now_ns();
      const std::int64_t due = next_due();
      if (due > now && due - now <= spin_ns_)
        while ((now = now_ns()) < due) {
        }
      release(ab_, now);
      release(ba_, now);
    }
  }

  std::string counts() const {
    std::ostringstream s;
    const std::uint64_t sent = ab_.forwarded + ba_.forwarded;
    s << "ab=" << ab_.forwarded << " ba=" << ba_.forwarded
      << " dropped=" << ab_.dropped + ba_.dropped << " late_us_mean="
      << (sent ? (ab_.late_ns_sum + ba_.late_ns_sum) / 1000.0 / sent : 0.0)
      << " late_us_max=" << std::max(ab_.late_ns_max, ba_.late_ns_max) / 1000.0;
    return s.str();
  }

 private:
  // When the first held frame is due; -1: none is held.
  std::int64_t next_due() const {
    std::int64_t due = -1;
    for (const Direction* d : {&ab_, &ba_})
      if (!d->held.empty() && (due < 0 || d->held.front().due_ns < due))
        due = d->held.front().due_ns;
    return due;
  }

  // The time until the spin before the first held frame; nullptr: wait for
  // input.
  const timespec* next_timeout(timespec* ts) const {
    const std::int64_t due = next_due();
    if (due < 0) return nullptr;
    const std::int64_t left =
        std::max<std::int64_t>(0, due - spin_ns_ - now_ns());
    ts->tv_sec = left / 1000000000;
    ts->tv_nsec = left % 1000000000;
    return ts;
  }

  // Reads what is queued on d.in (a bounded batch, so that the other
  // direction and due frames are served in between).
  void receive(Direction& d) {
    for (int i = 0; i < 64; ++i) {
      sockaddr_ll from{};
      socklen_t from_len = sizeof from;
      const ssize_t r =
          ::recvfrom(d.in, buffer_.data(), buffer_.size(), MSG_TRUNC,
                     reinterpret_cast<sockaddr*>(&from), &from_len);
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        if (errno == ENETDOWN) return;  // the interface went away
        throw ipcb::sys::SysError("recvfrom", d.name, errno);
      }
      const std::int64_t now = now_ns();
      if (from.sll_pkttype == PACKET_OUTGOING) continue;
      const auto size = static_cast<std::size_t>(r);
      if (size > buffer_.size() || size < kVnetHdrBytes || loss_ ||
          d.held_bytes + size > kMaxHeldBytes) {
        ++d.dropped;
        continue;
      }
      d.held.push_back(Frame{
          now + d.delay_ns,
          std::vector<unsigned char>(buffer_.begin(), buffer_.begin() + r)});
      d.held_bytes += size;
    }
  }

  // Sends the frames of d that are due, in order.
  void release(Direction& d, std::int64_t now) {
    while (!d.held.empty() && d.held.front().due_ns <= now) {
      const Frame& f = d.held.front();
      const ssize_t w =
          ::send(d.out, f.bytes.data(), f.bytes.size(), MSG_DONTWAIT);
      if (w < 0) {
        // A full or downed link loses the frame, as a wire would.
        if (errno != EAGAIN && errno != ENOBUFS && errno != ENETDOWN &&
            errno != ENXIO && errno != EINTR)
          throw ipcb::sys::SysError("send", d.name, errno);
        ++d.dropped;
      } else {
        ++d.forwarded;
        d.late_ns_sum += now - f.due_ns;
        d.late_ns_max = std::max(d.late_ns_max, now - f.due_ns);
      }
      d.held_bytes -= f.bytes.size();
      d.held.pop_front();
    }
  }

  void set_loss(bool on) {
    loss_ = on;
    if (!on) return;
    for (Direction* d : {&ab_, &ba_}) {
      d->dropped += d->held.size();
      d->held.clear();
      d->held_bytes = 0;
    }
  }

  // false: time to exit.
  bool read_signals() {
    signalfd_siginfo si{};
    while (::read(signals_.get(), &si, sizeof si) == sizeof si) {
      if (si.ssi_signo == SIGUSR1) set_loss(true);
      if (si.ssi_signo == SIGUSR2) set_loss(false);
      if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) return false;
    }
    return true;
  }

  // One command; false when the control socket closed.
  bool read_control() {
    char msg[256];
    const ssize_t r = ::recv(control_, msg, sizeof msg - 1, MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (r <= 0) return false;
    std::istringstream in(std::string(msg, static_cast<std::size_t>(r)));
    std::string verb;
    in >> verb;
    if (verb == "delay") {
      long long ab = -1, ba = -1;
      if (!(in >> ab >> ba) || ab < 0 || ba < 0) {
        reply("error: delay wants two microsecond counts >= 0");
      } else {
        ab_.delay_ns = ab * 1000;
        ba_.delay_ns = ba * 1000;
        reply("ok");
      }
    } else if (verb == "loss") {
      std::string v;
      in >> v;
      if (v == "on" || v == "off") {
        set_loss(v == "on");
        reply("ok");
      } else {
        reply("error: loss wants on or off");
      }
    } else if (verb == "stats") {
      reply("ok " + counts());
    } else {
      reply("error: unknown command '" + verb +
            "' (delay AB BA, loss on|off, stats)");
    }
    return true;
  }

  void reply(const std::string& text) {
    checked("send", "delay line control socket", [&] {
      return ::send(control_, text.data(), text.size(), MSG_NOSIGNAL);
    });
  }

  Fd a_, b_, signals_;
  int control_;
  std::int64_t spin_ns_;
  Direction ab_, ba_;
  bool loss_ = false;
  std::vector<unsigned char> buffer_;
};

bool parse_us(const std::string& s, std::int64_t* out) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0 || v < 0) return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string a, b;
  std::int64_t ab_us = 0, ba_us = 0;
  bool loss = false;
  std::int64_t spin_us = 50;
  int control = -1;
  const char* usage =
      "usage: ipcb_delay_line --a=IFACE --b=IFACE [--delay-us=AB[,BA]] "
      "[--loss] [--spin-us=N] [--control-fd=N]";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      const std::size_t n = std::strlen(flag);
      return arg.compare(0, n, flag) == 0 ? arg.c_str() + n : nullptr;
    };
    if (const char* v = value("--a=")) {
      a = v;
    } else if (const char* v = value("--b=")) {
      b = v;
    } else if (const char* v = value("--delay-us=")) {
      const std::string s = v;
      const std::size_t comma = s.find(',');
      bool ok = parse_us(s.substr(0, comma), &ab_us);
      ba_us = ab_us;
      if (ok && comma != std::string::npos)
        ok = parse_us(s.substr(comma + 1), &ba_us);
      if (!ok) {
        std::cerr << "ipcb_delay_line: --delay-us=" << s
                  << ": want microseconds >= 0, as AB or AB,BA\n";
        return 2;
      }
    } else if (const char* v = value("--spin-us=")) {
      if (!parse_us(v, &spin_us) || spin_us > 1000) {
        std::cerr << "ipcb_delay_line: --spin-us=" << v
                  << ": want microseconds from 0 to 1000\n";
        return 2;
      }
    } else if (arg == "--loss") {
      loss = true;
    } else if (const char* v = value("--control-fd=")) {
      std::int64_t fd = -1;
      if (!parse_us(v, &fd) || fd > 1 << 20) {
        std::cerr << "ipcb_delay_line: --control-fd=" << v
                  << ": want a file descriptor number\n";
        return 2;
      }
      control = static_cast<int>(fd);
    } else {
      std::cerr << "ipcb_delay_line: unknown argument '" << arg << "'\n"
                << usage << "\n";
      return 2;
    }
  }
  if (a.empty() || b.empty() || a == b) {
    std::cerr << "ipcb_delay_line: --a and --b must name two interfaces\n"
              << usage << "\n";
    return 2;
  }
  try {
    // ppoll's timeouts end within 1 ns of their time instead of the default
    // 50 us slack.
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    DelayLine line(a, b, ab_us, ba_us, loss, spin_us, control);
    line.run();
    std::cerr << "ipcb_delay_line: " << line.counts() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ipcb_delay_line: " << e.what() << "\n";
    return 1;
  }
}
