// mmap_file: a regular file "<dir>/mailbox" in the run's private directory
// (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, ftruncate, mmap MAP_SHARED) as the
// region, with the same hand-off as shm_sem (process-shared POSIX semaphores
// inside the mapping): the file-backed twin of the anonymous shared-memory
// transports. Which filesystem holds the directory (under /tmp) matters:
//  - tmpfs: the file is shmem, exactly like /dev/shm; expect shm_sem figures.
//  - a disk filesystem (ext4, xfs, overlay): the pages are page cache of a
//    real file; the flusher writes them back (vm.dirty_writeback_centisecs,
//    vm.dirty_expire_centisecs) and write-protects them, so the next store
//    takes a page_mkwrite fault: latency outliers that shm never shows.
// The filesystem type (statfs f_type: 0x01021994 tmpfs, 0xef53 ext2/3/4) is
// recorded in applied_settings. Limits: free space on that filesystem (/tmp
// may be a small tmpfs): prepare() reserves the whole file (posix_fallocate,
// or a free-space check where the filesystem cannot), so a shortage fails
// with the bytes needed and available instead of SIGBUS at the first touch;
// message size any. The file is unlinked in teardown.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "sys/space.hpp"
#include "transports/mailbox.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

class FileRegion final : public FdRegion {
 public:
  explicit FileRegion(const Config& c)
      : path_(c.dir + "/mailbox"), site_(sys::directory_site(c.dir)) {
    what_ = "mapped file " + path_;
  }
  void create(std::size_t bytes) override {
    sys::Fd fd(sys::create_exclusive("open", path_, [&] {
      return ::open(path_.c_str(),
                    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }));
    created_ = true;
    map_new(std::move(fd), bytes, "mmap_file", site_);
    record_fs();
  }
  void attach(const nlohmann::json&, std::size_t bytes) override {
    map_existing(sys::Fd(sys::checked("open", path_,
                                      [&] {
                                        return ::open(
                                            path_.c_str(),
                                            O_RDWR | O_NOFOLLOW | O_CLOEXEC);
                                      })),
                 bytes);
    record_fs();
  }
  void remove() noexcept override {
    if (created_) ::unlink(path_.c_str());
    created_ = false;
  }
  Settings settings() const override {
    return {{"mmap_file_fs_magic", fs_magic_},
            {"mmap_file_on_tmpfs", fs_magic_ == TMPFS_MAGIC}};
  }

 private:
  void record_fs() {
    struct statfs sf {};
    sys::checked("fstatfs", what_, [&] { return ::fstatfs(fd_.get(), &sf); });
    fs_magic_ = static_cast<std::int64_t>(sf.f_type);
  }

  std::string path_;
  sys::SpaceSite site_;
  bool created_ = false;
  std::int64_t fs_magic_ = 0;
};

}  // namespace

TransportInfo mmap_file_transport() {
  return {"mmap_file",
          "mmap'ed regular file in the run's directory (file-backed shared "
          "memory), POSIX semaphores in it",
          mailbox_caps("the directory's filesystem matters: tmpfs = shmem, "
                       "disk = page cache with writeback faults (type "
                       "recorded); vm.dirty_* knobs"),
          [](const Config& c) {
            return make_mailbox(c, std::make_unique<FileRegion>(c),
                                posix_sem_notifier());
          },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
