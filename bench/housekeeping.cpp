#include "bench/housekeeping.hpp"

#include <filesystem>
#include <iostream>
#include <utility>
#include <vector>

#include "results/distributions.hpp"
#include "results/results_file.hpp"

namespace ipcb::bench {

namespace {

results::TemporaryCleanup remove_temporaries(const std::string& out) {
  std::vector<std::pair<std::string, std::string>> places;
  if (!out.empty()) {
    const auto slash = out.rfind('/');
    const std::string dir = slash == std::string::npos ? "."
                            : slash == 0               ? "/"
                                                       : out.substr(0, slash);
    places.emplace_back(dir, out.substr(slash + 1));
    places.emplace_back(dir, results::side_file_name(out));
  }
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("results", ec)) {
    if (e.is_directory(ec) && !e.is_symlink(ec)) {
      places.emplace_back(e.path().string(), "results.json");
      places.emplace_back(e.path().string(), "distributions.json.gz");
    }
  }
  results::TemporaryCleanup all;
  for (const auto& [dir, base] : places) {
    auto r = results::remove_stale_temporaries(dir, base);
    all.removed.insert(all.removed.end(), r.removed.begin(), r.removed.end());
    all.refused.insert(all.refused.end(), r.refused.begin(), r.refused.end());
  }
  return all;
}

}  // namespace

void remove_results_temporaries(const std::string& out,
                                harness::CleanupReport& report) {
  const results::TemporaryCleanup tmp = remove_temporaries(out);
  for (const auto& path : tmp.removed)
    report.removed.push_back("results temporary " + path);
  for (const auto& what : tmp.refused)
    report.refused.push_back("results temporary " + what);
}

int run_cleanup() {
  harness::CleanupReport r = harness::remove_stale_objects();
  remove_results_temporaries("", r);
  for (const auto& what : r.removed) std::cout << "removed " << what << "\n";
  for (const auto& what : r.refused) std::cout << "refused " << what << "\n";
  for (const auto& what : r.failed)
    std::cerr << "ipcbench: could not remove " << what << "\n";
  std::cout << "ipcbench --cleanup: removed " << r.removed.size()
            << " stale object(s) of dead ipcbench runs";
  if (!r.refused.empty()) {
    std::cout << "; refused " << r.refused.size()
              << " entr(y/ies) that this user's runs did not make or that "
                 "are not safe to trust (reasons above)";
  }
  std::cout << "\n";
  return r.failed.empty() ? 0 : 1;
}

}  // namespace ipcb::bench
