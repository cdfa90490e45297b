// Sizing the buffering of a transport for --capacity=equal, and reading
// back what the kernel applied, for the transports that share a mechanism
// (pipes, sockets). Each helper sizes first with the ordinary call and, when
// the kernel caps it and the process is privileged, with the privileged one
// (SO_SNDBUFFORCE, F_SETPIPE_SZ beyond fs.pipe-max-size with
// CAP_SYS_RESOURCE): the point of `equal` is equal figures. What is then
// still short is recorded (Capacity::limit) with the sysctl to raise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "transports/transport.hpp"

namespace ipcb::transports {

// A capacity read back: `applied` bytes per direction, read by `source`;
// when `asked` > 0 and applied < asked, `limit` and `sysctl` say what
// stopped it and what to raise.
Capacity read_capacity(std::int64_t applied, std::size_t asked,
                       std::string source, std::string limit = "",
                       std::string sysctl = "");

// A capacity that does not apply to a transport, and why.
Capacity no_capacity(std::string reason);

// Pipes: F_SETPIPE_SZ to `bytes` (no-op for 0); over fs.pipe-max-size
// without CAP_SYS_RESOURCE the pipe keeps its size and pipe_capacity says so.
void size_pipe(int fd, std::size_t bytes, const std::string& what);
// The smaller of two pipes' sizes (F_GETPIPE_SZ), one per direction.
Capacity pipe_capacity(int a2b, int b2a, std::size_t asked);

// Sockets: SO_SNDBUF to `sndbuf` and SO_RCVBUF to `rcvbuf` payload bytes
// (0: leave it), forced when the process may; the kernel doubles each for
// its bookkeeping and getsockopt returns the doubled value.
void size_socket(int fd, std::size_t sndbuf, std::size_t rcvbuf,
                 const std::string& what);
// Payload bytes (getsockopt / 2) of a socket's SO_SNDBUF, plus its
// SO_RCVBUF when `with_rcvbuf` (TCP: a direction's data sits in the
// sender's send buffer and the receiver's receive buffer).
Capacity socket_capacity(int fd, bool with_rcvbuf, std::size_t asked);

}  // namespace ipcb::transports
