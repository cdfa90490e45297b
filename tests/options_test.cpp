// Flag parsing: accepted forms and clear errors naming the flag.
#include "bench/options.hpp"

#include <gtest/gtest.h>

#include "transports/registry.hpp"

namespace ipcb::bench {
namespace {

std::string error_of(const std::vector<std::string>& args) {
  try {
    parse_options(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Sizes, SuffixesAndRanges) {
  EXPECT_EQ(parse_size("64", "--sizes"), 64u);
  EXPECT_EQ(parse_size("4K", "--sizes"), 4096u);
  EXPECT_EQ(parse_size("1M", "--sizes"), 1048576u);
  EXPECT_EQ(parse_sizes("64..1K"),
            (std::vector<std::size_t>{64, 128, 256, 512, 1024}));
  EXPECT_EQ(parse_sizes("4097,1,4095"),
            (std::vector<std::size_t>{1, 4095, 4097}));
}

TEST(Sizes, BadSizesNameTheFlag) {
  for (std::string bad : {"0", "abc", "-5", "1G", "64.5", "", "1..", "..4",
                          "99999999999999", "512M"}) {
    std::string err = error_of({"--sizes=" + bad});
    EXPECT_NE(err.find("--sizes"), std::string::npos) << bad << ": " << err;
  }
  EXPECT_NE(error_of({"--sizes=64,64"}).find("twice"), std::string::npos);
  EXPECT_NE(error_of({"--sizes=1K..64"}).find("backwards"), std::string::npos);
}

TEST(Options, DefaultsCoverEveryTransportAndScenario) {
  Options o = parse_options({});
  EXPECT_EQ(o.transports.size(), transports::all_transports().size());
  EXPECT_EQ(o.scenarios, (std::vector<std::string>{"pingpong", "stream",
                                                   "oneway", "rate", "fanin"}));
  EXPECT_EQ(o.rates, (std::vector<double>{10000, 100000}));
  EXPECT_FALSE(o.verify);
  EXPECT_EQ(o.placement.preset, "cross");
  EXPECT_TRUE(o.out.empty());  // the run directory is made when it starts
}

TEST(Options, UnknownNamesListWhatIsAccepted) {
  std::string err = error_of({"--transports=pipe,nope"});
  EXPECT_NE(err.find("'nope'"), std::string::npos) << err;
  EXPECT_NE(err.find("accepted: pipe, fifo"), std::string::npos) << err;
  EXPECT_NE(error_of({"--scenarios=warp"})
                .find("accepted: pingpong, stream, oneway, rate, fanin"),
            std::string::npos);
  EXPECT_NE(error_of({"--transports=pipe,pipe"}).find("twice"),
            std::string::npos);
  EXPECT_NE(error_of({"--transports="}).find("needs a value"),
            std::string::npos);
  EXPECT_NE(error_of({"--frobnicate"}).find("unknown flag"), std::string::npos);
  EXPECT_NE(error_of({"--wait=sometimes"}).find("accepted: block, spin"),
            std::string::npos);
}

TEST(Options, CpusOutsideTheMaskAndBadTimeouts) {
  EXPECT_NE(error_of({"--cpus=4096,0"}).find("affinity mask"),
            std::string::npos);
  EXPECT_NE(error_of({"--cpus=x"}).find("--cpus"), std::string::npos);
  EXPECT_NE(error_of({"--cpus=0,1,2"}).find("--cpus"), std::string::npos);
  for (std::string t : {"0", "-1", "abc", "1e9"}) {
    EXPECT_NE(error_of({"--timeout=" + t}).find("--timeout"), std::string::npos)
        << t;
  }
  Options same = parse_options({"--cpus=same"});
  EXPECT_EQ(same.placement.driver_cpu, same.placement.peer_cpu);
}

TEST(Options, GoogleBenchmarkFlagsPassThrough) {
  Options o =
      parse_options({"--benchmark_filter=pipe", "--benchmark_repetitions=3"});
  EXPECT_EQ(o.passthrough.size(), 2u);
}

}  // namespace
}  // namespace ipcb::bench

namespace ipcb::bench {
namespace {

TEST(Options, RatesAndPlacementSweep) {
  Options o =
      parse_options({"--rate=1M,500,10K", "--placement=same,cross,0:1"});
  EXPECT_EQ(o.rates, (std::vector<double>{500, 10000, 1000000}));
  ASSERT_EQ(o.placements.size(), 3u);
  EXPECT_EQ(o.placements[0].preset, "same");
  EXPECT_EQ(o.placements[2].name(), "0:1");
  for (std::string bad : {"0", "-5", "fast", "1G", "200M"}) {
    EXPECT_NE(error_of({"--rate=" + bad}).find("--rate"), std::string::npos)
        << bad;
  }
  EXPECT_NE(error_of({"--rate=10K,10000"}).find("twice"), std::string::npos);
  EXPECT_NE(error_of({"--placement=same,same"}).find("twice"),
            std::string::npos);
  EXPECT_NE(error_of({"--placement=same", "--cpus=same"}).find("both"),
            std::string::npos);
  EXPECT_NE(error_of({"--placement=4095:0"}).find("affinity mask"),
            std::string::npos);
}

TEST(Options, ProducerCountsForFanin) {
  EXPECT_EQ(parse_options({}).producers, (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(parse_options({"--producers=8,3"}).producers,
            (std::vector<int>{3, 8}));
  for (std::string bad : {"0", "65", "-2", "two", "1.5", ""}) {
    EXPECT_NE(error_of({"--producers=" + bad}).find("--producers"),
              std::string::npos)
        << bad;
  }
  EXPECT_NE(error_of({"--producers=2,2"}).find("twice"), std::string::npos);
}

TEST(Options, GoogleBenchmarkNumbersAreChecked) {
  EXPECT_NE(error_of({"--benchmark_repetitions=0"}).find("whole number"),
            std::string::npos);
  EXPECT_NE(error_of({"--benchmark_repetitions=-3"}).find("whole number"),
            std::string::npos);
  EXPECT_NE(error_of({"--benchmark_min_time=-1"}).find("seconds > 0"),
            std::string::npos);
  EXPECT_NE(error_of({"--benchmark_min_time=abc"}).find("seconds > 0"),
            std::string::npos);
}

}  // namespace
}  // namespace ipcb::bench
