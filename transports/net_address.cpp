#include "transports/net_address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>
#include <stdexcept>

#include "sys/checked.hpp"

namespace ipcb::transports {

int NetAddress::port() const {
  if (family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

void NetAddress::set_port(int port) {
  const auto p = htons(static_cast<std::uint16_t>(port));
  if (family == AF_INET6)
    reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = p;
  else
    reinterpret_cast<sockaddr_in*>(&storage)->sin_port = p;
}

std::string NetAddress::text() const {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (family == AF_INET6) {
    ::inet_ntop(AF_INET6,
                &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr,
                buf, sizeof buf);
    return std::string("[") + buf + "]:" + std::to_string(port());
  }
  ::inet_ntop(AF_INET,
              &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf,
              sizeof buf);
  return std::string(buf) + ":" + std::to_string(port());
}

NetAddress resolve_host(const std::string& host, int port,
                        const std::string& what) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    throw std::runtime_error("cannot resolve " + what + " '" + host +
                             "': " + ::gai_strerror(rc));
  }
  NetAddress a;
  std::memcpy(&a.storage, res->ai_addr, res->ai_addrlen);
  a.len = res->ai_addrlen;
  a.family = res->ai_family;
  ::freeaddrinfo(res);
  return a;
}

NetAddress bound_address(int fd, const std::string& what) {
  NetAddress a;
  a.len = sizeof a.storage;
  sys::checked("getsockname", what,
               [&] { return ::getsockname(fd, a.get(), &a.len); });
  a.family = a.storage.ss_family;
  return a;
}

}  // namespace ipcb::transports
