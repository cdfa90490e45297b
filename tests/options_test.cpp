// Flag parsing: accepted forms and clear errors naming the flag.
#include "bench/options.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_util.hpp"
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
  EXPECT_EQ(o.scenarios,
            (std::vector<std::string>{"pingpong", "stream", "oneway", "rate",
                                      "fanin", "fanout"}));
  // Loads relative to each transport's measured capacity, by default.
  EXPECT_TRUE(o.rates.empty());
  EXPECT_EQ(o.rate_percents, (std::vector<double>{10, 50, 90}));
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
  // After the default suite's minimum time, which a flag given wins over.
  EXPECT_EQ(o.passthrough,
            (std::vector<std::string>{"--benchmark_min_time=0.1",
                                      "--benchmark_filter=pipe",
                                      "--benchmark_repetitions=3"}));
}

}  // namespace
}  // namespace ipcb::bench

namespace ipcb::bench {
namespace {

TEST(Options, RatesAsPercentagesOfCapacity) {
  Options o = parse_options({"--rate=90%,12.5%,100%,1%"});
  EXPECT_EQ(o.rate_percents, (std::vector<double>{1, 12.5, 90, 100}));
  EXPECT_TRUE(o.rates.empty());
  for (std::string bad : {"150%", "%", "-5%", "abc", "0%", "5%%", ".5%", "1e2%",
                          "50 %", "50%x", "x%", "100.1%"}) {
    const std::string e = error_of({"--rate=" + bad});
    EXPECT_EQ(e.rfind("--rate", 0), 0u) << bad << ": " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << bad;
    EXPECT_NE(e.find("such as"), std::string::npos) << bad << ": " << e;
  }
  EXPECT_NE(error_of({"--rate=150%"}).find("above 100%"), std::string::npos);
  EXPECT_NE(error_of({"--rate=50%,50.0%"}).find("twice"), std::string::npos);
}

TEST(Options, RatesRefuseMixingPercentagesAndMessagesPerSecond) {
  for (std::string mixed : {"10%,10K", "10K,50%"}) {
    const std::string e = error_of({"--rate=" + mixed});
    EXPECT_NE(e.find("--rate: '" + mixed + "' mixes"), std::string::npos) << e;
    EXPECT_NE(e.find("--rate=10%,50%,90% or --rate=10K,100K"),
              std::string::npos)
        << e;
  }
}

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
  EXPECT_TRUE(o.rate_percents.empty());
  EXPECT_NE(error_of({"--placement=same,same"}).find("twice"),
            std::string::npos);
  EXPECT_NE(error_of({"--placement=same", "--cpus=same"}).find("both"),
            std::string::npos);
  EXPECT_NE(error_of({"--placement=4095:0"}).find("affinity mask"),
            std::string::npos);
}

TEST(Options, ProducerCountsForFanin) {
  EXPECT_EQ(parse_options({}).producers, (std::vector<int>{1, 2}));
  EXPECT_EQ(parse_options({"--full"}).producers, (std::vector<int>{1, 2, 4}));
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

// Refused input: Google Benchmark 1.7.1's flags, lists with spaces, and
// numbers with garbage, checked before anything runs.
namespace ipcb::bench {
namespace {

bool mentions(const std::string& err, const std::string& what) {
  return err.find(what) != std::string::npos;
}

const char* const kGbBooleans[] = {
    "--benchmark_list_tests", "--benchmark_enable_random_interleaving",
    "--benchmark_report_aggregates_only", "--benchmark_display_aggregates_only",
    "--benchmark_counters_tabular"};

TEST(GoogleBenchmarkFlags, FormatsAreConsoleJsonOrCsv) {
  for (std::string flag : {"--benchmark_format", "--benchmark_out_format"}) {
    for (std::string ok : {"console", "json", "csv"})
      EXPECT_EQ(error_of({flag + "=" + ok}), "") << flag << "=" << ok;
    EXPECT_EQ(error_of({flag + "=xml"}),
              flag + ": 'xml' is not accepted; use console, json or csv");
    for (std::string bad : {"JSON", "tabular", " json", "json "}) {
      const std::string err = error_of({flag + "=" + bad});
      EXPECT_TRUE(mentions(err, flag + ": '" + bad + "'")) << err;
      EXPECT_TRUE(mentions(err, "console, json or csv")) << err;
    }
    EXPECT_TRUE(mentions(error_of({flag + "="}), "needs a value"));
    EXPECT_TRUE(mentions(error_of({flag}), "needs a value"));
  }
}

TEST(GoogleBenchmarkFlags, BooleansTakeOnlyDefiniteSpellings) {
  for (std::string flag : kGbBooleans) {
    EXPECT_EQ(error_of({flag}), "") << flag << " alone means true";
    for (std::string ok : {"true", "false", "TRUE", "False", "yes", "no", "on",
                           "OFF", "1", "0", "t", "f", "y", "n", "T", "N"})
      EXPECT_EQ(error_of({flag + "=" + ok}), "") << flag << "=" << ok;
    for (std::string bad : {"maybe", "2", "00", "0.0", "-", "", " true",
                            "false ", "truee", "nope"}) {
      const std::string err = error_of({flag + "=" + bad});
      EXPECT_TRUE(mentions(err, flag + ": '" + bad + "' is not accepted"))
          << bad << ": " << err;
      EXPECT_TRUE(mentions(err, "use true or false")) << err;
      EXPECT_TRUE(mentions(err, "yes/no, on/off, 1/0")) << err;
    }
  }
}

TEST(GoogleBenchmarkFlags, ColorIsAutoOrABoolean) {
  for (std::string ok : {"auto", "true", "false", "yes", "0", "off"})
    EXPECT_EQ(error_of({"--benchmark_color=" + ok}), "") << ok;
  for (std::string bad : {"purple", "AUTO", "2", "maybe", " auto"}) {
    const std::string err = error_of({"--benchmark_color=" + bad});
    EXPECT_TRUE(mentions(err, "--benchmark_color: '" + bad + "'")) << err;
    EXPECT_TRUE(mentions(err, "use auto, true or false")) << err;
  }
}

TEST(GoogleBenchmarkFlags, TimeUnitIsNsUsMsOrS) {
  for (std::string ok : {"ns", "us", "ms", "s"})
    EXPECT_EQ(error_of({"--benchmark_time_unit=" + ok}), "") << ok;
  for (std::string bad : {"ps", "NS", "sec", " ms"}) {
    const std::string err = error_of({"--benchmark_time_unit=" + bad});
    EXPECT_TRUE(mentions(err, "--benchmark_time_unit")) << err;
    EXPECT_TRUE(mentions(err, "ns, us, ms or s")) << bad << ": " << err;
  }
}

TEST(GoogleBenchmarkFlags, FilterIsAPosixExtendedRegexOrItsNegation) {
  for (std::string ok : {"pipe", "-pipe", "pingpong/(pipe|fifo)/64$", "all",
                         "-baseline", "[[:digit:]]+K"})
    EXPECT_EQ(error_of({"--benchmark_filter=" + ok}), "") << ok;
  // "\d" is ECMAScript, not POSIX extended: Google Benchmark refuses it too.
  for (std::string bad : {"(", "-(", "[", "a{", "\\d", "[[:nope:]]"}) {
    const std::string err = error_of({"--benchmark_filter=" + bad});
    EXPECT_TRUE(mentions(err, "--benchmark_filter: '" + bad +
                                  "' is not a valid regular expression"))
        << err;
    EXPECT_TRUE(mentions(err, "POSIX extended")) << err;
  }
  EXPECT_TRUE(mentions(error_of({"--benchmark_filter="}), "needs a value"));
  EXPECT_TRUE(mentions(error_of({"--benchmark_filter"}), "needs a value"));
}

TEST(GoogleBenchmarkFlags, OutMustBeAWritableRegularFileAndNothingIsCreated) {
  testing::ScratchDir dir;
  const std::string fresh = dir.path + "/gb.json";
  EXPECT_EQ(error_of({"--benchmark_out=" + fresh}), "");
  EXPECT_FALSE(std::filesystem::exists(fresh)) << "checking created it";
  const std::string file = dir.path + "/file";
  std::ofstream(file) << "x";
  EXPECT_EQ(error_of({"--benchmark_out=" + file}), "");

  const std::string missing = dir.path + "/missing/gb.json";
  std::string err = error_of({"--benchmark_out=" + missing});
  EXPECT_TRUE(mentions(err, "--benchmark_out: '" + missing + "'")) << err;
  EXPECT_TRUE(mentions(err, "does not exist")) << err;
  EXPECT_FALSE(std::filesystem::exists(dir.path + "/missing"));

  err = error_of({"--benchmark_out=" + file + "/gb.json"});
  EXPECT_TRUE(mentions(err, "--benchmark_out")) << err;
  EXPECT_TRUE(mentions(err, "is not a directory")) << err;

  for (const std::string& target : {dir.path, std::string("/dev/null")}) {
    err = error_of({"--benchmark_out=" + target});
    EXPECT_TRUE(mentions(err, "--benchmark_out: '" + target + "'")) << err;
    EXPECT_TRUE(mentions(err, "not a regular file")) << err;
  }
  EXPECT_TRUE(mentions(error_of({"--benchmark_out="}), "needs a value"));
  EXPECT_TRUE(mentions(error_of({"--benchmark_out"}), "needs a value"));
  // Google Benchmark's file and ipcbench's results file cannot be one file.
  err = error_of({"--benchmark_out=" + fresh, "--out=" + fresh});
  EXPECT_TRUE(mentions(err, "--benchmark_out")) << err;
  EXPECT_TRUE(mentions(err, "--out")) << err;
  EXPECT_EQ(std::filesystem::directory_iterator(dir.path)->path(), file)
      << "only the planted file is there";
}

TEST(GoogleBenchmarkFlags, NumbersArePlainAndInRange) {
  for (std::string ok : {"0.5", "2", "1e-2", ".25", "86400"})
    EXPECT_EQ(error_of({"--benchmark_min_time=" + ok}), "") << ok;
  for (std::string bad : {"0", "-1", "nan", "inf", "0x10", "0.5s", "1,5", " 1",
                          "1 ", "1e999", "86401", "+1"}) {
    const std::string err = error_of({"--benchmark_min_time=" + bad});
    EXPECT_TRUE(mentions(err, "--benchmark_min_time: '" + bad + "'"))
        << bad << ": " << err;
    EXPECT_TRUE(mentions(err, "seconds > 0")) << err;
  }
  EXPECT_TRUE(
      mentions(error_of({"--benchmark_min_time=0.5s"}), "no s or x suffix"));
  for (std::string ok : {"0", "0.5", "3"})
    EXPECT_EQ(error_of({"--benchmark_min_warmup_time=" + ok}), "") << ok;
  for (std::string bad : {"-1", "nan", "inf", "abc", "1s", "-0.5"}) {
    const std::string err = error_of({"--benchmark_min_warmup_time=" + bad});
    EXPECT_TRUE(mentions(err, "--benchmark_min_warmup_time: '" + bad + "'"))
        << bad << ": " << err;
    EXPECT_TRUE(mentions(err, "seconds >= 0")) << err;
  }
  for (std::string ok : {"1", "3", "1000"})
    EXPECT_EQ(error_of({"--benchmark_repetitions=" + ok}), "") << ok;
  for (std::string bad :
       {"0", "-3", "1e3", "+3", " 3", "3.0", "99999999999", "abc", "3x"}) {
    const std::string err = error_of({"--benchmark_repetitions=" + bad});
    EXPECT_TRUE(mentions(err, "--benchmark_repetitions: '" + bad + "'"))
        << bad << ": " << err;
    EXPECT_TRUE(mentions(err, "whole number")) << err;
  }
  for (std::string ok : {"0", "2", "10"})
    EXPECT_EQ(error_of({"--v=" + ok}), "") << ok;
  for (std::string bad : {"-1", "x", "1.5", "+1"}) {
    const std::string err = error_of({"--v=" + bad});
    EXPECT_TRUE(mentions(err, "--v: '" + bad + "'")) << bad << ": " << err;
    EXPECT_TRUE(mentions(err, "whole number from 0")) << err;
  }
  EXPECT_TRUE(mentions(error_of({"--v"}), "--v: needs a value"));
}

TEST(GoogleBenchmarkFlags, PerfCountersAreNotInThisBuild) {
  for (std::string arg :
       {"--benchmark_perf_counters=CYCLES",
        "--benchmark_perf_counters=CYCLES,INSTRUCTIONS",
        "--benchmark_perf_counters=", "--benchmark_perf_counters"}) {
    const std::string err = error_of({arg});
    EXPECT_TRUE(mentions(err, "--benchmark_perf_counters")) << err;
    EXPECT_TRUE(mentions(err, "libpfm")) << err;
  }
}

TEST(GoogleBenchmarkFlags, ContextIsUniqueKeyValuePairs) {
  for (std::string ok : {"a=b", "host=lab1,kernel=6.1", "note=two words", "k="})
    EXPECT_EQ(error_of({"--benchmark_context=" + ok}), "") << ok;
  for (std::string bad :
       {"a=b,c", "a=b=c", "=v", "a=1,a=2", "a=1,,b=2", "a=1,", " a=b"}) {
    const std::string err = error_of({"--benchmark_context=" + bad});
    EXPECT_TRUE(mentions(err, "--benchmark_context")) << bad << ": " << err;
    EXPECT_TRUE(mentions(err, "key=value")) << bad << ": " << err;
  }
  // Its own keys would appear twice in the JSON "context" object.
  for (std::string own :
       {"date", "host_name", "executable", "num_cpus", "library_build_type"}) {
    const std::string err = error_of({"--benchmark_context=" + own + "=x"});
    EXPECT_TRUE(mentions(err, "'" + own + "'")) << err;
    EXPECT_TRUE(mentions(err, "Google Benchmark's own")) << err;
  }
}

TEST(GoogleBenchmarkFlags, UnknownOrValuelessFlagsAreRefused) {
  for (std::string bad : {"--benchmark_foo=1", "--benchmark_list_testsx",
                          "--benchmark_min_time_s=1", "--benchmark_dry_run"}) {
    const std::string err = error_of({bad});
    EXPECT_TRUE(mentions(err, "not a Google Benchmark 1.7.1 flag"))
        << bad << ": " << err;
    EXPECT_TRUE(mentions(err, "--benchmark_filter")) << err;
  }
  for (std::string flag :
       {"--benchmark_min_time", "--benchmark_min_warmup_time",
        "--benchmark_repetitions", "--benchmark_format", "--benchmark_color",
        "--benchmark_time_unit", "--benchmark_context",
        "--benchmark_out_format", "--benchmark_out", "--benchmark_filter",
        "--v"}) {
    for (const std::string& arg : {flag, flag + "="}) {
      EXPECT_TRUE(mentions(error_of({arg}),
                           flag + ": needs a value, as in " + flag + "="))
          << arg;
    }
  }
}

// Google Benchmark 1.7.1 also takes each flag from an environment variable
// (the flag's name in capitals: BENCHMARK_FORMAT, ..., V) when the flag is
// not given; --benchmark_context's pairs join the variable's.
struct ScopedEnv {
  const char* name;
  ScopedEnv(const char* n, const char* value) : name(n) {
    ::setenv(n, value, 1);
  }
  ~ScopedEnv() { ::unsetenv(name); }
};

TEST(GoogleBenchmarkFlags, EnvironmentVariablesAreCheckedLikeTheFlags) {
  {
    ScopedEnv env("BENCHMARK_FORMAT", "xml");
    EXPECT_EQ(error_of({}),
              "BENCHMARK_FORMAT (environment): 'xml' is not accepted; use "
              "console, json or csv");
    EXPECT_EQ(error_of({"--benchmark_format=json"}), "") << "the flag wins";
  }
  {
    ScopedEnv env("BENCHMARK_FORMAT", "csv");
    EXPECT_EQ(error_of({}), "");
  }
  const std::pair<const char*, const char*> bad[] = {
      {"BENCHMARK_LIST_TESTS", "maybe"}, {"BENCHMARK_COUNTERS_TABULAR", "2"},
      {"BENCHMARK_COLOR", "purple"},     {"BENCHMARK_FILTER", "("},
      {"BENCHMARK_MIN_TIME", "abc"},     {"BENCHMARK_REPETITIONS", "1e3"},
      {"BENCHMARK_TIME_UNIT", "ps"},     {"BENCHMARK_OUT", "/dev/null"},
      {"BENCHMARK_CONTEXT", "a=1,a=2"},  {"V", "x"}};
  for (const auto& [name, value] : bad) {
    ScopedEnv env(name, value);
    const std::string err = error_of({});
    EXPECT_TRUE(
        mentions(err, std::string(name) + " (environment): '" + value + "'"))
        << err;
  }
  {
    ScopedEnv env("BENCHMARK_REPETITIONS", "");
    EXPECT_TRUE(mentions(error_of({}),
                         "BENCHMARK_REPETITIONS (environment): needs a value, "
                         "as in BENCHMARK_REPETITIONS=5"));
  }
  {
    ScopedEnv env("BENCHMARK_PERF_COUNTERS", "CYCLES");
    EXPECT_TRUE(mentions(error_of({}), "BENCHMARK_PERF_COUNTERS"));
  }
  {
    ScopedEnv env("BENCHMARK_CONTEXT", "a=1");
    EXPECT_EQ(error_of({"--benchmark_context=b=2"}), "");
    const std::string err = error_of({"--benchmark_context=a=2"});
    EXPECT_TRUE(mentions(err, "--benchmark_context: 'a=2'")) << err;
    EXPECT_TRUE(mentions(err, "key 'a' given twice")) << err;
  }
}

TEST(GoogleBenchmarkFlags, SettingIsTheLastFlagElseTheEnvironment) {
  const std::vector<std::string> given = {"--benchmark_format=csv",
                                          "--benchmark_format=json",
                                          "--benchmark_counters_tabular"};
  EXPECT_EQ(gb_setting(given, "--benchmark_format", "console"), "json");
  EXPECT_EQ(gb_setting(given, "--benchmark_counters_tabular", "false"), "true");
  EXPECT_EQ(gb_setting(given, "--benchmark_color", "auto"), "auto");
  ScopedEnv env("BENCHMARK_COLOR", "no");
  EXPECT_EQ(gb_setting(given, "--benchmark_color", "auto"), "no");
  EXPECT_FALSE(gb_true("no"));
  EXPECT_TRUE(gb_true("Yes"));
}

TEST(Lists, SpacesAreRefusedWithTheAcceptedForm) {
  const std::pair<std::string, std::string> spaced[] = {
      {"--cpus", "0, 1"},        {"--transports", "pipe, fifo"},
      {"--sizes", "64, 4K"},     {"--scenarios", "pingpong, stream"},
      {"--wait", "block, spin"}, {"--placement", "same, cross"},
      {"--rate", "10K, 100K"},   {"--producers", "1, 2"},
      {"--cpus", "0,\t1"},       {"--sizes", "64 ,4K"}};
  for (const auto& [flag, value] : spaced) {
    const std::string err = error_of({flag + "=" + value});
    EXPECT_TRUE(mentions(err, flag + ": '" + value + "'")) << err;
    EXPECT_TRUE(mentions(err,
                         "give a comma-separated list without spaces, "
                         "such as " +
                             flag + "="))
        << err;
  }
  EXPECT_TRUE(mentions(error_of({"--cpus=0, 1"}), "such as --cpus=0,1"));
  // What the shell hands over for an unquoted --cpus=0, 1.
  for (const auto& args : {std::vector<std::string>{"--cpus=0,", "1"},
                           std::vector<std::string>{"--sizes=64,", "4K"}}) {
    const std::string err = error_of(args);
    EXPECT_TRUE(mentions(err, args[0].substr(0, args[0].find('=')) + ": '"))
        << err;
    EXPECT_TRUE(mentions(err, "without spaces")) << err;
  }
  for (const auto& args : {std::vector<std::string>{"--cpus=0", ",1"},
                           std::vector<std::string>{"1"}}) {
    const std::string err = error_of(args);
    EXPECT_TRUE(mentions(err, "unexpected argument '" + args.back() + "'"))
        << err;
    EXPECT_TRUE(mentions(err, "without spaces")) << err;
  }
}

TEST(Values, LeadingOrTrailingWhitespaceIsRefused) {
  const std::pair<std::string, std::string> padded[] = {
      {"--timeout", " 5"},      {"--timeout", "5 "},
      {"--pairs", "2 "},        {"--out", " results.json"},
      {"--baselines", "none "}, {"--inject-peer-fault", "crash@run:5 "}};
  for (const auto& [flag, value] : padded) {
    const std::string err = error_of({flag + "=" + value});
    EXPECT_TRUE(mentions(err, flag + ": '" + value + "'")) << err;
    EXPECT_TRUE(mentions(err, "leading or trailing whitespace")) << err;
  }
}

TEST(Values, TimeoutIsOneSecondToADay) {
  for (std::string ok : {"1", "1.5", "60", "86400"})
    EXPECT_EQ(error_of({"--timeout=" + ok}), "") << ok;
  EXPECT_EQ(parse_options({"--timeout=2.5"}).timeout_s, 2.5);
  for (std::string bad : {"0.000001", "0.5", "0.999", "0", "-1", "nan", "inf",
                          "1e9", "86401", "abc", "5s", "0x10", "+5", "1e999"}) {
    const std::string err = error_of({"--timeout=" + bad});
    EXPECT_TRUE(mentions(err, "--timeout: '" + bad + "' is not accepted"))
        << bad << ": " << err;
    EXPECT_TRUE(mentions(err, "from 1 to 86400")) << err;
  }
  EXPECT_TRUE(mentions(error_of({"--timeout=0.000001"}), "starting the peer"));
}

TEST(Values, WholeNumbersHaveNoSignsSpacesOrFractions) {
  for (std::string bad : {"+2", "2.0", "99999999999", "0x2", "2x", "-1"}) {
    const std::string err = error_of({"--pairs=" + bad});
    EXPECT_TRUE(mentions(err, "--pairs: '" + bad + "'")) << err;
    EXPECT_TRUE(mentions(err, "whole number from 1 to 64")) << err;
  }
  for (std::string bad : {"+0,1", "0,+1", "0x0,1"}) {
    const std::string err = error_of({"--cpus=" + bad});
    EXPECT_TRUE(mentions(err, "--cpus")) << bad << ": " << err;
  }
  EXPECT_TRUE(mentions(error_of({"--placement=+0:1"}), "--placement"));
  for (std::string bad : {"crash@run:5x", "crash@run:99999999999999999999",
                          "crash@run:-1", "crash@run:", "crash@run: 5"}) {
    const std::string err = error_of({"--inject-peer-fault=" + bad});
    EXPECT_TRUE(mentions(err, "--inject-peer-fault")) << bad << ": " << err;
  }
}

}  // namespace
}  // namespace ipcb::bench
