// The server of two-host runs: `ipcbench --serve[=ADDR:PORT]`
// (docs/two-hosts.md).
//
// Contract. Listens on the one address it is given and serves one driver
// at a time, for as long as it runs (until SIGINT or SIGTERM). A driver
// must prove it holds the token (harness/remote_auth.hpp) within 5 s of
// connecting, or it is refused; a second driver while one is served is
// refused with who holds the server; the same driver reconnecting (the
// same session id, after a failure) replaces its old connection. For each
// benchmark the driver asks for, the server starts a peer process (the
// same `ipcbench --peer` as on one machine), hands it the setup with its
// own private directory and the address to listen on, relays the control
// messages both ways, and ends the peer when the driver asks, when the
// benchmark's timeout (plus a margin) passes, or when the driver goes
// away; the driver always hears how the peer ended. Each event is one
// line on stderr.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "bench/options.hpp"

namespace ipcb::bench {

// The exit status: 0 after SIGINT/SIGTERM, 2 on a usage problem (no
// token, an address it cannot bind), said on stderr in one line.
int run_server(const Options& opt, const std::string& executable,
               const nlohmann::json& environment);

}  // namespace ipcb::bench
