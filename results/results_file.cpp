#include "results/results_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "transports/sys.hpp"

namespace ipcb::results {

nlohmann::ordered_json combine(const std::string& gbench_json,
                               const nlohmann::ordered_json& ipcbench) {
  auto doc = nlohmann::ordered_json::parse(gbench_json, nullptr, false);
  if (doc.is_discarded())
    throw std::runtime_error("Google Benchmark's JSON output did not parse");
  doc["ipcbench"] = ipcbench;
  return doc;
}

void write_atomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path())
    fs::create_directories(target.parent_path(), ec);
  if (ec)
    throw std::runtime_error("cannot create directory for " + path + ": " +
                             ec.message());
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  using transports::checked;
  transports::Fd fd(checked("open", tmp, [&] {
    return ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }));
  try {
    transports::write_exact(fd.get(),
                            reinterpret_cast<const std::byte*>(text.data()),
                            text.size(), tmp);
    checked("fsync", tmp, [&] { return ::fsync(fd.get()); });
    fd.reset();
    checked("rename", path,
            [&] { return ::rename(tmp.c_str(), path.c_str()); });
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace ipcb::results
