#include "bench/serve.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <iostream>
#include <mutex>
#include <thread>

#include "harness/clock.hpp"
#include "harness/control.hpp"
#include "harness/cpu.hpp"
#include "harness/naming.hpp"
#include "harness/net_control.hpp"
#include "harness/pair.hpp"
#include "harness/remote_auth.hpp"
#include "sys/checked.hpp"
#include "transports/net_address.hpp"

namespace ipcb::bench {

namespace {

using harness::NetControl;
using nlohmann::json;

constexpr int kHandshakeMs = 5000;
// The peer may take this much longer than the driver's timeout before the
// server ends it: the driver's own watchdog should speak first.
constexpr int kPeerMarginMs = 5000;
// Connections open at once (one served, the others in their handshake or
// being refused) before new ones are closed unheard.
constexpr int kMaxConnections = 32;

std::atomic<int> g_stop{0};
void on_serve_stop(int sig) { g_stop.store(sig); }

std::string utc_now() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void say(const std::string& line) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::cerr << "ipcbench serve: " << line << std::endl;
}

// The driver being served, if any.
struct Slot {
  std::mutex mu;
  std::condition_variable cv;
  bool busy = false;
  std::string session, driver, since;
  NetControl* conn = nullptr;
};

class Server {
 public:
  Server(std::string token, std::string executable, json environment)
      : token_(std::move(token)),
        executable_(std::move(executable)),
        environment_(std::move(environment)) {}

  // One connection, on its own thread; counted from admit() on.
  void admit() { ++live_; }
  void handle(sys::Fd fd) {
    try {
      NetControl c(std::move(fd), "driver");
      const std::string who = c.remote_host();
      std::string session;
      if (handshake(c, who, session)) {
        serve_session(c, who);
        release(c, who);
      }
    } catch (const std::exception& e) {
      say(std::string("connection ended: ") + e.what());
    }
    --live_;
  }

  int connections() const { return live_.load(); }

  // On SIGINT/SIGTERM: ends the session being served (its peer with it)
  // and waits for the connection threads.
  void stop() {
    {
      std::lock_guard lock(slot_.mu);
      if (slot_.conn) slot_.conn->shutdown();
    }
    for (int i = 0; i < 100 && live_.load() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

 private:
  bool refuse(NetControl& c, const std::string& who, const std::string& why) {
    say("refused " + who + ": " + why);
    try {
      c.send({{"type", "refused"}, {"why", why}});
    } catch (const std::exception&) {
    }
    return false;
  }

  bool handshake(NetControl& c, const std::string& who, std::string& session) {
    const std::string nonce = harness::random_hex(16);
    c.send({{"type", "hello"},
            {"protocol", harness::kRemoteProtocol},
            {"nonce", nonce}});
    const auto auth = c.recv_within(kHandshakeMs);
    if (!auth) return refuse(c, who, "no answer to the handshake within 5 s");
    if (auth->value("type", "") != "auth" || !(*auth)["proof"].is_string() ||
        !(*auth)["nonce"].is_string() || !(*auth)["session"].is_string())
      return refuse(c, who, "not an ipcbench driver's handshake");
    if (auth->value("protocol", 0) != harness::kRemoteProtocol)
      return refuse(c, who,
                    "protocol " + std::to_string(auth->value("protocol", 0)) +
                        " (this server speaks " +
                        std::to_string(harness::kRemoteProtocol) +
                        "): run the same ipcbench version on both hosts");
    const std::string driver_nonce = (*auth)["nonce"];
    if (!harness::proofs_match(
            harness::driver_proof(token_, nonce, driver_nonce),
            (*auth)["proof"].get<std::string>()))
      return refuse(c, who,
                    "wrong token (give the server and the driver the same "
                    "IPCBENCH_TOKEN)");
    session = (*auth)["session"];
    if (!take_slot(c, who, session)) return false;
    c.send({{"type", "welcome"},
            {"proof", harness::server_proof(token_, nonce, driver_nonce)},
            {"environment", environment_},
            {"cpus", harness::initial_cpus()},
            {"listen_host", c.local_host()}});
    say("serving the driver at " + who);
    return true;
  }

  // One driver at a time; the same session reconnecting takes over.
  bool take_slot(NetControl& c, const std::string& who,
                 const std::string& session) {
    std::unique_lock lock(slot_.mu);
    if (slot_.busy && slot_.session != session)
      return refuse(c, who,
                    "busy: serving the driver at " + slot_.driver + " since " +
                        slot_.since +
                        "; one driver at a time, try again "
                        "when it is done");
    if (slot_.busy) {
      say("the driver at " + who + " reconnected; ending its old connection");
      slot_.conn->shutdown();
      slot_.cv.wait(lock, [&] { return !slot_.busy; });
    }
    slot_.busy = true;
    slot_.session = session;
    slot_.driver = who;
    slot_.since = utc_now();
    slot_.conn = &c;
    return true;
  }

  void release(NetControl& c, const std::string& who) {
    std::lock_guard lock(slot_.mu);
    if (slot_.conn == &c) {
      slot_.busy = false;
      slot_.conn = nullptr;
      slot_.cv.notify_all();
      say("the driver at " + who + " left");
    }
  }

  void serve_session(NetControl& c, const std::string& who) {
    try {
      for (;;) {
        const json m = c.recv();
        const std::int64_t t1 = harness::now_ns();
        const std::string type = m.value("type", "");
        if (type == "clock") {
          c.send({{"type", "clock"},
                  {"t0", m.value("t0", std::int64_t{0})},
                  {"t1", t1},
                  {"t2", harness::now_ns()}});
        } else if (type == "run") {
          run_benchmark(c, m);
        } else if (type == "bye") {
          return;
        } else if (type != "abort") {  // an abort after the peer ended
          c.send({{"type", "error"},
                  {"what",
                   "the server does not know the request '" + type + "'"}});
        }
      }
    } catch (const std::exception& e) {
      say("the connection to " + who + " ended: " + e.what());
    }
  }

  // Starts the peer, relays until it has ended, says how it ended. Throws
  // when the driver's connection fails (the peer is ended first).
  void run_benchmark(NetControl& c, const json& request) {
    json setup = request.at("setup");
    const int cpu = request.value("cpu", -1);
    const int timeout_ms = request.value("timeout_ms", 60000);
    const std::string name = request.value("name", std::string("?"));
    const auto& allowed = harness::initial_cpus();
    if (cpu >= 0 &&
        std::find(allowed.begin(), allowed.end(), cpu) == allowed.end()) {
      std::string list;
      for (int a : allowed)
        list += (list.empty() ? "" : ",") + std::to_string(a);
      c.send({{"type", "error"},
              {"what", "--remote-cpus: CPU " + std::to_string(cpu) +
                           " is not among the server's CPUs (" + list + ")"}});
      c.send({{"type", "ended"}, {"status", "not started"}, {"clean", false}});
      return;
    }
    harness::IpcNames names;
    setup["config"]["dir"] = names.dir();
    setup["config"]["name_prefix"] = names.prefix();
    setup["config"]["listen_address"] = c.local_host();
    setup["release_fd"] = -1;
    auto [mine, theirs] = harness::Control::make_pair();
    harness::SpawnedPeer p =
        harness::spawn_peer(executable_, theirs.get(), {}, cpu);
    theirs.reset();
    harness::Control peer(std::move(mine));
    int status = 0;
    try {
      peer.send(setup);
      status = relay(c, peer, p, timeout_ms + kPeerMarginMs);
    } catch (...) {
      ::kill(p.pid, SIGKILL);
      reap(p.pid);
      say(name + ": the driver went away; its peer was ended");
      throw;
    }
    const std::string how = harness::exit_status_text(status);
    say(name + ": peer " + how);
    c.send({{"type", "ended"}, {"status", how}, {"clean", status == 0}});
  }

  static int reap(pid_t pid) {
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return st;
  }

  // Forwards messages both ways until the peer has exited; its status.
  int relay(NetControl& c, harness::Control& peer, harness::SpawnedPeer& p,
            int limit_ms) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
    bool peer_open = true, killed = false;
    for (;;) {
      pollfd fds[3] = {{c.fd(), POLLIN, 0},
                       {peer_open ? peer.fd() : -1, POLLIN, 0},
                       {p.pidfd.get(), POLLIN, 0}};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      const int r = ::poll(fds, 3,
                           static_cast<int>(std::max<std::int64_t>(
                               killed ? 1000 : 0, left.count())));
      if (r < 0) continue;  // EINTR
      if (r == 0 && !killed) {
        killed = true;
        ::kill(p.pid, SIGKILL);
        c.send({{"type", "error"},
                {"what", "no result from the peer on the server within " +
                             std::to_string(limit_ms / 1000) +
                             " s; the server ended it"}});
        continue;
      }
      if (fds[1].revents != 0) {
        if (auto m = peer.poll_recv(0))
          c.send(*m);
        else
          peer_open = false;
      }
      if (fds[0].revents != 0) {
        const auto m = c.recv_within(kHandshakeMs);
        if (m && m->value("type", "") == "abort") {
          killed = true;
          ::kill(p.pid, SIGKILL);
        } else if (m && peer_open) {
          peer.send(*m);
        }
      }
      if (fds[2].revents != 0) {
        const int st = reap(p.pid);
        while (peer_open) {  // what it said before it exited
          auto m = peer.poll_recv(0);
          if (!m) break;
          c.send(*m);
        }
        return st;
      }
    }
  }

  const std::string token_, executable_;
  const json environment_;
  Slot slot_;
  std::atomic<int> live_{0};
};

sys::Fd listen_on(const harness::HostPort& at) {
  const std::string host = at.host.empty() ? "0.0.0.0" : at.host;
  transports::NetAddress addr =
      transports::resolve_host(host, at.port, "--serve address");
  sys::Fd fd(sys::checked("socket", "--serve", [&] {
    return ::socket(addr.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  }));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sys::checked("bind", "--serve " + addr.text(),
               [&] { return ::bind(fd.get(), addr.get(), addr.len); });
  sys::checked("listen", "--serve", [&] { return ::listen(fd.get(), 8); });
  return fd;
}

}  // namespace

int run_server(const Options& opt, const std::string& executable,
               const json& environment) {
  std::string token;
  sys::Fd listener;
  std::string bound;
  try {
    token = harness::choose_token(opt.token);
    listener =
        listen_on(harness::parse_host_port(opt.serve_at, "--serve", true));
    bound = transports::bound_address(listener.get(), "--serve").text();
  } catch (const std::exception& e) {
    std::cerr << "ipcbench: --serve: " << e.what() << "\n";
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = on_serve_stop;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  Server server(token, executable, environment);
  say("listening on " + bound +
      "; one driver at a time; Ctrl-C ends the server");
  while (g_stop.load() == 0) {
    const int fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // EINTR (a stop signal), or a connection reset
    if (server.connections() >= kMaxConnections) {
      ::close(fd);  // a flood of handshakes: each gets 5 s, not a thread
      say("refused a connection: " + std::to_string(kMaxConnections) +
          " already open");
      continue;
    }
    // The connection's thread never takes the stop signals: they must
    // interrupt this accept.
    sigset_t stops, old;
    sigemptyset(&stops);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stops, sig);
    ::pthread_sigmask(SIG_BLOCK, &stops, &old);
    server.admit();
    std::thread([&server, fd] { server.handle(sys::Fd(fd)); }).detach();
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  say(std::string("stopping (SIG") + sigabbrev_np(g_stop.load()) + ")");
  server.stop();
  return 0;
}

}  // namespace ipcb::bench
