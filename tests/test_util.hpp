// Helpers shared by the tests: a scratch directory, running the real
// ipcbench binary, reading a results file whole (with its side file), and
// listing leftovers of this process's IPC objects.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "results/results_file.hpp"

namespace ipcb::testing {

struct ScratchDir {
  std::string path;
  ScratchDir() {
    char tmpl[] = "/tmp/ipcbtest_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
};

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The gzip-compressed `gz` uncompressed; throws on damaged data.
inline std::string gunzip_text(const std::string& gz) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) throw std::runtime_error("zlib");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("damaged gzip data");
  return out;
}

// The results file at `path`, whole: as plot/ipcbench_results.py loads it,
// each record gets back its details (a merge patch) and its distributions
// their full spectra from the side file that ipcbench.distributions names.
// A file without a side file is returned as it is.
inline nlohmann::json load_results(const std::string& path) {
  nlohmann::json doc = nlohmann::json::parse(slurp(path));
  if (!doc.is_object() || !doc.contains("ipcbench") ||
      !doc["ipcbench"].contains("distributions"))
    return doc;
  const std::string side_path =
      results::dir_of(path) + "/" +
      doc["ipcbench"]["distributions"]["file"].get<std::string>();
  const auto side = nlohmann::json::parse(gunzip_text(slurp(side_path)));
  auto& records = doc["ipcbench"]["benchmarks"];
  for (const auto& item : side["benchmarks"]) {
    auto& rec = records.at(item["index"].get<std::size_t>());
    if (item.contains("details")) rec.merge_patch(item["details"]);
    if (!item.contains("spectra")) continue;
    for (const auto& [pointer, spectrum] : item["spectra"].items())
      rec[nlohmann::json::json_pointer(pointer)]["percentiles_ns"] = spectrum;
  }
  return doc;
}

// Runs the program `exe` with args; stdout/stderr captured.
inline ProcessResult run_program(const std::string& exe,
                                 const std::vector<std::string>& args) {
  ScratchDir io;
  std::string out = io.path + "/out", err = io.path + "/err";
  std::vector<std::string> all = {exe};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  ProcessResult r;
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// Runs ipcbench with args; stdout/stderr captured.
inline ProcessResult run_ipcbench(const std::vector<std::string>& args) {
  return run_program(IPCBENCH_PATH, args);
}

// Entries in dir whose names start with prefix.
inline std::vector<std::string> entries_with_prefix(const std::string& dir,
                                                    const std::string& prefix) {
  std::vector<std::string> found;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.rfind(prefix, 0) == 0) found.push_back(dir + "/" + n);
    }
    ::closedir(d);
  }
  return found;
}

// Starts ipcbench with args (stdout and stderr to `log`, or /dev/null; in
// directory `cwd` if given) without waiting for it.
inline pid_t spawn_ipcbench(const std::vector<std::string>& args,
                            const std::string& log = "/dev/null",
                            const std::string& cwd = "") {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<std::string> all = {IPCBENCH_PATH};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for `pid` up to `limit`; kills it and returns -1 if it outlives it.
inline int exit_within(pid_t pid, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid)
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (std::chrono::steady_clock::now() > end) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Pids whose parent is `parent` (scans /proc/*/stat).
inline std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> kids;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = slurp("/proc/" + name + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    int ppid = 0;
    char state = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 &&
        ppid == parent)
      kids.push_back(std::stoi(name));
  }
  return kids;
}

// Waits (at most ~30 s) until `parent` has a child process: true if so.
inline bool wait_for_child(pid_t parent) {
  for (int i = 0; i < 3000; ++i) {
    if (!children_of(parent).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

inline int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace ipcb::testing
