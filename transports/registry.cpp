#include "transports/registry.hpp"

#include <stdexcept>

namespace ipcb::transports {

const char* to_string(Wait w) { return w == Wait::kSpin ? "spin" : "block"; }

Wait parse_wait(const std::string& s) {
  if (s == "spin") return Wait::kSpin;
  if (s == "block") return Wait::kBlock;
  throw std::invalid_argument("unknown wait strategy '" + s +
                              "' (accepted: spin, block)");
}

const std::vector<TransportInfo>& all_transports() {
  // One transport per line, in listing order (keeps merges simple).
  // clang-format off
  static const std::vector<TransportInfo> kAll = {
      pipe_transport(),
      fifo_transport(),
      unix_stream_transport(),
      tcp_transport(),
      shm_ring_transport(),
  };
  // clang-format on
  return kAll;
}

const TransportInfo* find_transport(const std::string& name) {
  for (const auto& t : all_transports()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::unique_ptr<Transport> create_transport(const std::string& name,
                                            const Config& config) {
  const TransportInfo* info = find_transport(name);
  if (info == nullptr) {
    std::string names;
    for (const auto& t : all_transports()) {
      if (!names.empty()) names += ", ";
      names += t.name;
    }
    throw std::invalid_argument("unknown transport '" + name +
                                "' (accepted: " + names + ")");
  }
  return info->create(config);
}

}  // namespace ipcb::transports
