#include "results/results_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>

#include "sys/checked.hpp"
#include "sys/fd.hpp"

namespace ipcb::results {

using sys::checked;
using sys::Fd;

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

namespace {

const char* kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISLNK(m)) return "a symbolic link";
  return "not a regular file";
}

// The mode bits of the regular file at `path`, nullopt if there is none;
// throws if something else is there.
std::optional<mode_t> existing_mode(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw sys::SysError("lstat", path, errno);
  }
  if (!S_ISREG(st.st_mode)) {
    throw std::runtime_error(
        "results file " + path + " is " + kind_of(st.st_mode) +
        ", not a regular file; ipcbench writes a new regular file and never "
        "replaces anything else: give --out the path of a new or regular "
        "file");
  }
  return st.st_mode & 07777;
}

// The process's umask, from /proc (reading it with umask() would change it
// for a moment under other threads); the first value seen otherwise.
mode_t process_umask() {
  static const mode_t first = [] {
    const mode_t m = ::umask(022);  // first called before threads start
    ::umask(m);
    return m;
  }();
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0)
      return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
  }
  return first;
}

std::string random_hex() {
  unsigned char b[4] = {};
  if (::getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b)) {
    const auto t = static_cast<unsigned>(::clock());
    std::memcpy(b, &t, sizeof b);
  }
  char hex[9];
  std::snprintf(hex, sizeof hex, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
  return hex;
}

// The name the content is linked or created under before the rename.
std::string temporary_name(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid()) + "." + random_hex();
}

// An unnamed file in `dir` (O_TMPFILE), or an invalid Fd when the
// filesystem does not offer it.
Fd open_unnamed(const std::string& dir, const std::string& path) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) return Fd(fd);
  if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) return Fd();
  throw sys::SysError("open(O_TMPFILE)", path, errno);
}

// Gives the unnamed file `fd` the name `name` (never replacing anything).
void link_unnamed(int fd, const std::string& name) {
  if (::linkat(fd, "", AT_FDCWD, name.c_str(), AT_EMPTY_PATH) == 0) return;
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  checked("linkat", name, [&] {
    return ::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(),
                    AT_SYMLINK_FOLLOW);
  });
}

void sync_directory(const std::string& dir) noexcept {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string without_non_finite(const std::string& text) {
  static constexpr std::string_view kWords[] = {"-NaN", "NaN", "-Infinity",
                                                "Infinity"};
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (std::string_view w : kWords) {
      if (text.compare(i, w.size(), w) == 0) {
        out += "null";
        i += w.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

nlohmann::ordered_json combine(const std::string& gbench_json,
                               const nlohmann::ordered_json& ipcbench) {
  auto doc = nlohmann::ordered_json::parse(without_non_finite(gbench_json),
                                           nullptr, false);
  if (doc.is_discarded())
    throw std::runtime_error("Google Benchmark's JSON output did not parse");
  // An undefined figure (a cv of values whose mean is 0) is left out.
  if (doc.contains("benchmarks") && doc["benchmarks"].is_array()) {
    for (auto& entry : doc["benchmarks"]) {
      if (!entry.is_object()) continue;
      for (auto it = entry.begin(); it != entry.end();) {
        it = it->is_null() ? entry.erase(it) : std::next(it);
      }
    }
  }
  doc["ipcbench"] = ipcbench;
  return doc;
}

namespace {

// Objects above depth 2 and arrays of containers above depth 3 are spread
// over lines; everything deeper is compact.
void dump_lines_at(const nlohmann::ordered_json& j, int depth,
                   std::string& out) {
  const std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
  const std::string inner = pad + "  ";
  if (depth < 2 && j.is_object() && !j.empty()) {
    out += "{";
    const char* sep = "\n";
    for (const auto& [k, v] : j.items()) {
      out += sep + inner + nlohmann::ordered_json(k).dump() + ": ";
      dump_lines_at(v, depth + 1, out);
      sep = ",\n";
    }
    out += "\n" + pad + "}";
  } else if (depth < 3 && j.is_array() && !j.empty() &&
             j.front().is_structured()) {
    out += "[";
    const char* sep = "\n";
    for (const auto& v : j) {
      out += sep + inner;
      dump_lines_at(v, depth + 1, out);
      sep = ",\n";
    }
    out += "\n" + pad + "]";
  } else {
    out += j.dump();
  }
}

}  // namespace

std::string dump_lines(const nlohmann::ordered_json& doc) {
  std::string out;
  dump_lines_at(doc, 0, out);
  return out + "\n";
}

void check_target(const std::string& path) {
  process_umask();
  existing_mode(path);
  struct stat st {};
  const std::string dir = dir_of(path);
  if (::stat(dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
    throw std::runtime_error("results file " + path + ": " + dir + " is " +
                             kind_of(st.st_mode) +
                             ", not a directory; give --out a path in a "
                             "directory");
}

void write_atomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const std::string dir = dir_of(path);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw std::runtime_error("cannot create directory for " + path + ": " +
                             ec.message());
  const std::optional<mode_t> old = existing_mode(path);
  const mode_t mode = old ? *old : (0666 & ~process_umask());
  std::string tmp;
  Fd fd = open_unnamed(dir, path);
  const bool unnamed = static_cast<bool>(fd);
  if (!unnamed) {
    tmp = temporary_name(path);
    fd = Fd(checked("open", tmp, [&] {
      return ::open(tmp.c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }));
  }
  try {
    sys::write_exact(fd.get(), reinterpret_cast<const std::byte*>(text.data()),
                     text.size(), path);
    checked("fsync", path, [&] { return ::fsync(fd.get()); });
    checked("fchmod", path, [&] { return ::fchmod(fd.get(), mode); });
    if (unnamed) {
      const std::string name = temporary_name(path);
      link_unnamed(fd.get(), name);
      tmp = name;
    }
    fd.reset();
    existing_mode(path);  // still nothing but a regular file there
    checked("rename", path,
            [&] { return ::rename(tmp.c_str(), path.c_str()); });
  } catch (...) {
    if (!tmp.empty()) ::unlink(tmp.c_str());
    throw;
  }
  sync_directory(dir);
}

std::string make_run_directory(const std::string& root) {
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec)
    throw std::runtime_error("cannot create " + root + ": " + ec.message());
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  const std::string base = root + "/" + stamp;
  for (int n = 1; n <= 1000; ++n) {
    const std::string dir = n == 1 ? base : base + "-" + std::to_string(n);
    if (::mkdir(dir.c_str(), 0777) == 0) return dir;
    if (errno != EEXIST) throw sys::SysError("mkdir", dir, errno);
  }
  throw std::runtime_error("cannot create a run directory " + base +
                           "-N: a thousand runs started in this second");
}

TemporaryCleanup remove_stale_temporaries(const std::string& dir,
                                          const std::string& base) {
  TemporaryCleanup r;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return r;
  const int dfd = ::dirfd(d);
  const std::string stem = base + ".tmp.";
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    // "<base>.tmp.<pid>" (older writers) or "<base>.tmp.<pid>.<8 hex>".
    if (name.rfind(stem, 0) != 0) continue;
    const std::string tail = name.substr(stem.size());
    const auto dot = tail.find('.');
    const std::string pid_text = tail.substr(0, dot);
    const std::string hex =
        dot == std::string::npos ? "" : tail.substr(dot + 1);
    if (pid_text.empty() || pid_text.size() > 9 ||
        pid_text.find_first_not_of("0123456789") != std::string::npos ||
        (dot != std::string::npos &&
         (hex.size() != 8 ||
          hex.find_first_not_of("0123456789abcdef") != std::string::npos)))
      continue;
    const std::string path = dir + "/" + name;
    const int pid = std::stoi(pid_text);
    if (pid <= 0 || ::kill(pid, 0) == 0 || errno == EPERM) continue;  // live
    struct stat st {};
    if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode)) {
      r.refused.push_back(path + ": is " + std::string(kind_of(st.st_mode)));
    } else if (st.st_uid != ::geteuid()) {
      r.refused.push_back(path + ": owned by uid " + std::to_string(st.st_uid) +
                          ", not by you");
    } else if (::unlinkat(dfd, name.c_str(), 0) == 0) {
      r.removed.push_back(path);
    }
  }
  ::closedir(d);
  return r;
}

}  // namespace ipcb::results
