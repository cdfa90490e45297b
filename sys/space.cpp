#include "sys/space.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "sys/fd.hpp"

namespace ipcb::sys {
namespace {

constexpr const char* kSmaller = "choose smaller --sizes";

[[noreturn]] void throw_no_space(std::size_t bytes, std::uint64_t available,
                                 const std::string& object,
                                 const SpaceSite& site) {
  throw std::runtime_error(
      object + " needs " + std::to_string(bytes) + " bytes in " + site.where +
      ", " + std::to_string(available) + " available; " + site.remedy);
}

// Throws when a file system with a size (f_blocks > 0; an unlimited tmpfs
// reports none) has fewer free blocks than `bytes` take.
void check_fits(const struct statvfs& sv, std::size_t bytes,
                const std::string& object, const SpaceSite& site) {
  if (sv.f_blocks == 0) return;
  const std::uint64_t block = sv.f_frsize != 0 ? sv.f_frsize : 4096;
  const std::uint64_t available =
      static_cast<std::uint64_t>(sv.f_bavail) * block;
  const std::uint64_t needed = (bytes + block - 1) / block * block;
  if (needed > available) throw_no_space(bytes, available, object, site);
}

// posix_fallocate returns its error number instead of setting errno.
int fallocate_retrying(int fd, std::size_t bytes, const std::string& object) {
  for (;;) {
    int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes));
    if (rc != EINTR) return rc;
    if (cancelled()) throw_cancelled("posix_fallocate", object);
  }
}

}  // namespace

SpaceSite dev_shm_site() {
  return {"/dev/shm",
          "enlarge /dev/shm (mount -o remount,size=... /dev/shm; in Docker "
          "--shm-size) or " +
              std::string(kSmaller)};
}

SpaceSite directory_site(const std::string& dir) {
  const auto slash = dir.find_last_of('/');
  const std::string parent = slash == std::string::npos ? dir
                             : slash == 0               ? "/"
                                                        : dir.substr(0, slash);
  return {parent, "free space in " + parent +
                      " or enlarge its file system (a tmpfs: mount -o "
                      "remount,size=...) or " +
                      kSmaller};
}

SpaceSite memfd_site() {
  return {"memory (memfd)",
          "free memory (or raise the memory cgroup's limit) or " +
              std::string(kSmaller),
          false};
}

void reserve_space(int fd, std::size_t bytes, const std::string& object,
                   const SpaceSite& site) {
  if (bytes == 0) return;
  const int rc = fallocate_retrying(fd, bytes, object);
  if (rc == 0) return;
  struct statvfs sv {};
  const bool have_sv = ::fstatvfs(fd, &sv) == 0;
  if (rc == EOPNOTSUPP) {  // cannot reserve here: check the free space
    if (!have_sv) throw SysError("fstatvfs", object, errno);
    check_fits(sv, bytes, object, site);
    return;
  }
  if (rc == ENOSPC && have_sv && sv.f_blocks != 0) {
    throw_no_space(bytes, static_cast<std::uint64_t>(sv.f_bavail) * sv.f_frsize,
                   object, site);
  }
  if (rc == ENOSPC || rc == ENOMEM) {
    throw std::runtime_error(
        object + " needs " + std::to_string(bytes) + " bytes in " + site.where +
        ", which cannot hold them (posix_fallocate: " + std::strerror(rc) +
        "); " + site.remedy);
  }
  throw SysError("posix_fallocate", object, rc);
}

void size_and_reserve(int fd, std::size_t bytes, const std::string& object,
                      const std::string& owner, const SpaceSite& site) {
  checked("ftruncate", object,
          [&] { return ::ftruncate(fd, static_cast<off_t>(bytes)); });
  reserve_space(fd, bytes, owner + ": " + object, site);
}

void require_free_space(std::size_t bytes, const std::string& object,
                        const SpaceSite& site) {
  if (!site.is_path) return;
  struct statvfs sv {};
  checked("statvfs", site.where,
          [&] { return ::statvfs(site.where.c_str(), &sv); });
  check_fits(sv, bytes, object, site);
}

void reserve_space_at(const std::string& path, const std::string& object,
                      const SpaceSite& site) {
  Fd fd(checked("open", path, [&] {
    return ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  }));
  struct stat st {};
  checked("fstat", path, [&] { return ::fstat(fd.get(), &st); });
  reserve_space(fd.get(), static_cast<std::size_t>(st.st_size), object, site);
}

}  // namespace ipcb::sys
