// NetAddress: a numeric or named host and a port resolved to one socket
// address (IPv4 or IPv6), for the transports that cross hosts
// (Config::listen_address / remote_host). Resolution happens before any
// timing; failures name the host and the resolver's reason.
#pragma once

#include <sys/socket.h>

#include <string>

namespace ipcb::transports {

struct NetAddress {
  sockaddr_storage storage{};
  socklen_t len = 0;
  int family = AF_UNSPEC;

  const sockaddr* get() const {
    return reinterpret_cast<const sockaddr*>(&storage);
  }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  int port() const;
  void set_port(int port);
  std::string text() const;  // "10.0.0.1:5201", "[::1]:5201"
};

// The first address of `host` (an IPv4/IPv6 literal or a name) with `port`;
// throws std::runtime_error "cannot resolve <what> '<host>': <reason>".
NetAddress resolve_host(const std::string& host, int port,
                        const std::string& what);

// The address a bound socket `fd` really has (its kernel-picked port).
NetAddress bound_address(int fd, const std::string& what);

// `host` if given, else 127.0.0.1: a transport's own host on one machine.
inline const std::string& host_or_loopback(const std::string& host) {
  static const std::string kLoopback = "127.0.0.1";
  return host.empty() ? kLoopback : host;
}

}  // namespace ipcb::transports
