// Only the driver's own peer gets in: an intruder on the TCP port is
// rejected; private directories are owner-only (0700 whatever the umask) and
// removed without following symbolic links; names are unpredictable; an
// object that already has one of our names or System V keys is refused.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <zmq.hpp>

#include "harness/naming.hpp"
#include "sys/checked.hpp"
#include "sys/manifest.hpp"
#include "test_util.hpp"
#include "transports/registry.hpp"

namespace ipcb {
namespace {

int connect_intruder(int port, const char* greeting) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(::write(fd, greeting, std::strlen(greeting)),
            static_cast<ssize_t>(std::strlen(greeting)));
  return fd;
}

TEST(Security, TcpDriverRejectsAConnectionWithoutTheToken) {
  harness::IpcNames names;
  transports::Config cfg{64, transports::Wait::kBlock, names.dir(),
                         names.prefix()};
  auto driver = transports::create_transport("tcp", cfg);
  driver->prepare();
  auto handoff = driver->handoff();
  // The intruder connects first and sends 16 wrong bytes.
  int intruder =
      connect_intruder(handoff["port"].get<int>(), "0123456789abcdef");
  std::thread peer([&] {
    auto p = transports::create_transport("tcp", cfg);
    p->adopt(handoff);
    p->connect(transports::Role::kPeer);
    std::byte buf[64];
    p->recv(buf, sizeof buf);
    p->send(buf, sizeof buf);
  });
  driver->connect(transports::Role::kDriver);
  std::byte out[64], in[64];
  for (int i = 0; i < 64; ++i) out[i] = std::byte(i);
  driver->send(out, sizeof out);
  driver->recv(in, sizeof in);
  peer.join();
  EXPECT_EQ(std::memcmp(out, in, sizeof out), 0);
  EXPECT_EQ(driver->applied_settings().at("rejected_connections"), 1);
  ::close(intruder);
  driver->teardown();
}

TEST(Security, ZmqTcpDriverRefusesAnIntruderThatConnectsFirst) {
  harness::IpcNames names;
  transports::Config cfg{64, transports::Wait::kBlock, names.dir(),
                         names.prefix()};
  auto driver = transports::create_transport("zmq_tcp", cfg);
  driver->prepare();
  const std::string endpoint = driver->handoff()["endpoint"];
  zmq::context_t ctx;
  zmq::socket_t intruder(ctx, zmq::socket_type::pair);
  intruder.set(zmq::sockopt::linger, 0);
  intruder.connect(endpoint);
  const char hello[16] = "not the token..";
  intruder.send(zmq::const_buffer(hello, sizeof hello), zmq::send_flags::none);
  try {
    driver->connect(transports::Role::kDriver);
    FAIL() << "the driver accepted an unauthenticated connection";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("did not present this run's token"),
              std::string::npos)
        << e.what();
  }
  driver->teardown();
}

TEST(Security, PrivateDirectoryIsOwnerOnlyAndNamesAreUnpredictable) {
  harness::IpcNames a, b;
  struct stat st {};
  ASSERT_EQ(::stat(a.dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_NE(a.prefix(), b.prefix());
  const std::string pid = std::to_string(::getpid());
  EXPECT_EQ(a.prefix().rfind("ipcb_" + pid + "_", 0), 0u);
  EXPECT_EQ(a.prefix().size(), 5 + pid.size() + 1 + 16);  // 64 random bits
}

TEST(Security, PrivateDirectoryIsExactly0700WhateverTheUmask) {
  const mode_t old = ::umask(0777);
  harness::IpcNames names;
  ::umask(old);
  struct stat st {};
  ASSERT_EQ(::lstat(names.dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

// A private directory is removed without following a symbolic link, where
// it is one or where one is in it.
TEST(Security, PrivateDirRemovalNeverFollowsASymlink) {
  testing::ScratchDir scratch;
  const std::string victim = scratch.path + "/victim";
  ASSERT_EQ(::mkdir(victim.c_str(), 0700), 0);
  ASSERT_EQ(::close(::open((victim + "/a").c_str(), O_CREAT | O_WRONLY, 0600)),
            0);
  const std::string link = scratch.path + "/link";
  ASSERT_EQ(::symlink(victim.c_str(), link.c_str()), 0);
  EXPECT_FALSE(harness::remove_private_dir(link));
  struct stat st {};
  EXPECT_EQ(::lstat(link.c_str(), &st), 0) << "the link was removed";
  EXPECT_EQ(::lstat((victim + "/a").c_str(), &st), 0) << "link followed";
  const std::string dir = scratch.path + "/private";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::symlink((victim + "/a").c_str(), (dir + "/a").c_str()), 0);
  EXPECT_TRUE(harness::remove_private_dir(dir));
  EXPECT_NE(::lstat(dir.c_str(), &st), 0) << "the directory remains";
  EXPECT_EQ(::lstat((victim + "/a").c_str(), &st), 0) << "link followed";
}

// System V objects are created under the run's keys, exclusively: someone
// who made an object with such a key first gets an error, not our data.
TEST(Security, ExistingSystemVObjectWithOurKeyIsRefused) {
  for (const auto& [transport, label] :
       {std::pair<std::string, std::string>{"sysv_mq", "a2b"},
        {"shm_sysv", "shm"}}) {
    SCOPED_TRACE(transport);
    harness::IpcNames names;
    transports::Config cfg{64, transports::Wait::kBlock, names.dir(),
                           names.prefix()};
    const key_t key = sys::sysv_key(names.prefix(), label);
    const bool queue = transport == "sysv_mq";
    const int squatter = queue
                             ? ::msgget(key, IPC_CREAT | IPC_EXCL | 0666)
                             : ::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0666);
    ASSERT_GE(squatter, 0) << std::strerror(errno);
    auto t = transports::create_transport(transport, cfg);
    try {
      t->prepare();
      ADD_FAILURE() << "prepare() used an object that already had its key";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find(sys::sysv_key_hex(key)),
                std::string::npos)
          << e.what();
    }
    t->teardown();
    if (queue)
      EXPECT_EQ(::msgctl(squatter, IPC_RMID, nullptr), 0);
    else
      EXPECT_EQ(::shmctl(squatter, IPC_RMID, nullptr), 0);
  }
}

TEST(Security, ExistingObjectWithOurNameIsRefused) {
  harness::IpcNames names;
  transports::Config cfg{64, transports::Wait::kBlock, names.dir(),
                         names.prefix()};
  // Someone pre-creates the FIFO path: prepare() must fail, not reuse it.
  ASSERT_EQ(::mkfifo((names.dir() + "/fifo-a2b").c_str(), 0666), 0);
  auto t = transports::create_transport("fifo", cfg);
  try {
    t->prepare();
    FAIL() << "prepare() reused an existing FIFO";
  } catch (const sys::SysError& e) {
    EXPECT_NE(std::string(e.what()).find("mkfifo"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("File exists"), std::string::npos)
        << e.what();
  }
  t->teardown();
}

}  // namespace
}  // namespace ipcb
