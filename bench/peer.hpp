// Peer mode of the ipcbench executable: `ipcbench --peer --peer-ctl-fd=N`,
// started only by harness::Pair. Reads its setup from the control channel,
// connects its side of the transport, serves the scenario, reports back.
#pragma once

namespace ipcb::bench {
int run_peer(int ctl_fd);
}
