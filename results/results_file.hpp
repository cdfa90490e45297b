// The results file: Google Benchmark's JSON document, unchanged (so that
// Google Benchmark's compare.py reads it), plus a top-level "ipcbench" object
// whose every field (type, unit, what it is per) results/schema/
// results-<kSchemaVersion>.schema.json defines.
//
// Writing is safe in shared directories (ipcbench often runs as root): the
// new content goes to an unnamed file (O_TMPFILE) in the target's directory,
// or where the filesystem lacks it to "<out>.tmp.<pid>.<random hex>" created
// with O_CREAT|O_EXCL|O_NOFOLLOW; either is mode 0600 until complete, then
// fsync, chmod to the mode the file is to have, link/rename over the target.
// A target that exists and is not a regular file (a device such as
// /dev/null, a directory, a FIFO, a symbolic link) is refused, never
// replaced.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ipcb::results {

inline constexpr int kSchemaVersion = 1;

// Google Benchmark's JSON text with its non-finite numbers (NaN, -NaN,
// Infinity, -Infinity: not JSON) written as null; strings are left alone.
std::string without_non_finite(const std::string& text);

// Parses Google Benchmark's JSON text, appends the ipcbench block. A figure
// Google Benchmark wrote as NaN or Infinity (the cv of a counter whose mean
// is 0, over repetitions) is left out of its entry. Throws
// std::runtime_error if the text is not JSON.
nlohmann::ordered_json combine(const std::string& gbench_json,
                               const nlohmann::ordered_json& ipcbench);

// The results document as text, one entry per line: the top-level keys and
// ipcbench's keys each on a line, each element of an array of objects
// ("benchmarks", "failures", ...) on a line of its own, compact JSON within
// (an indented file of a full run is several times larger).
std::string dump_lines(const nlohmann::ordered_json& doc);

// Throws std::runtime_error (one line: the path, what is wrong, what to do)
// if `path` exists and is not a regular file, or its directory exists and is
// not a directory. Creates nothing. Call before anything runs.
void check_target(const std::string& path);

// The directory part of PATH: "." for a bare name, "/" for a file in /.
std::string dir_of(const std::string& path);

// Creates parent directories, writes `text` as described above. The file
// keeps the mode of the regular file it replaces, or gets 0666 & ~umask.
// Throws std::runtime_error naming the path and the cause (e.g. "No space
// left on device"); the previous content of `path` is then intact and no
// temporary file is left.
void write_atomically(const std::string& path, const std::string& text);

// A fresh run directory "<root>/<UTC stamp>", or "<stamp>-2", "-3", ... when
// another run made that one in the same second; created with mkdir's
// exclusivity, so two runs never share one. Returns its path.
std::string make_run_directory(const std::string& root);

struct TemporaryCleanup {
  std::vector<std::string> removed;  // paths
  std::vector<std::string> refused;  // "path: reason"
};

// Removes "<base>.tmp.<pid>[.<hex>]" files in `dir` left by writers of
// `dir`/`base` that died (killed between linking and renaming the new
// content): only regular files (never a link) owned by this user whose pid
// is not running; others that match are refused with the reason. A missing
// `dir` is not an error.
TemporaryCleanup remove_stale_temporaries(const std::string& dir,
                                          const std::string& base);

}  // namespace ipcb::results
