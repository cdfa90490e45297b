// Space for shared memory that lives in a file system (tmpfs /dev/shm, the
// run's directory, a memfd), reserved before anything touches it.
//
// Why. ftruncate makes a sparse file: tmpfs allocates a page only on its
// first touch, and a touch that the file system cannot back (a full or small
// /dev/shm: Docker's default is 64 MiB) kills the process with SIGBUS, with no
// message. Reserving every block up front turns that into an error when the
// object is made, naming the object, the bytes needed and available, and what
// to do: "shm_sem: POSIX shm /ipcb_..-shm needs 7876608 bytes in /dev/shm,
// 1048576 available; enlarge /dev/shm (mount -o remount,size=...) or choose
// smaller --sizes".
//
// Contract. Every function throws std::runtime_error (SysError for a failing
// call other than the lack of space) and never leaves a reservation behind on
// failure (tmpfs undoes a posix_fallocate that ran out of space); removing
// the object itself stays with its creator.
#pragma once

#include <cstddef>
#include <string>

namespace ipcb::sys {

// Where an object's bytes come from, for the checks and their messages.
struct SpaceSite {
  std::string where;   // "/dev/shm", "/tmp", "memory (memfd)"
  std::string remedy;  // what the user can do when it is too small
  // True when `where` is a directory: require_free_space() may statvfs it.
  bool is_path = true;
};

// /dev/shm, where POSIX shm (shm_open, Boost.Interprocess) objects live.
SpaceSite dev_shm_site();
// The file system holding directory `dir` (mmap_file's run directory),
// named by its parent (the run directory itself is private and transient).
SpaceSite directory_site(const std::string& dir);
// Anonymous shmem (memfd_create): bounded by memory, not by a mount.
SpaceSite memfd_site();

// Reserves bytes [0, bytes) of the object open on fd, which was just sized
// with ftruncate and is not yet touched: posix_fallocate, or where the file
// system cannot (EOPNOTSUPP), a check of its free space (fstatvfs) instead.
// `object` names it in errors: "shm_sem: POSIX shm /ipcb_..-shm".
void reserve_space(int fd, std::size_t bytes, const std::string& object,
                   const SpaceSite& site);

// For a new object open on fd, not yet touched: ftruncate to `bytes` (the
// kernel zero-fills; a failure names `object`), then reserve_space() (a
// shortage names "<owner>: <object>", e.g. "shm_sem: POSIX shm /ipcb_..").
void size_and_reserve(int fd, std::size_t bytes, const std::string& object,
                      const std::string& owner, const SpaceSite& site);

// For an object a library creates, sizes and touches itself (Boost): throws
// the same error if site.where has fewer than `bytes` free (statvfs) now.
void require_free_space(std::size_t bytes, const std::string& object,
                        const SpaceSite& site);

// reserve_space() for such an object once the library made it: opens `path`
// (O_RDWR | O_NOFOLLOW | O_CLOEXEC) and reserves its whole current size.
void reserve_space_at(const std::string& path, const std::string& object,
                      const SpaceSite& site);

}  // namespace ipcb::sys
