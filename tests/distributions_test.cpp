// The distributions side file: the results file keeps the percentiles its
// readers use, the full spectra go gzip-compressed beside it, and the
// results file names the side file with its size and CRC-32.
#include "results/distributions.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "results/results_file.hpp"
#include "test_util.hpp"

namespace ipcb {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using testing::run_ipcbench;
using testing::ScratchDir;
using testing::slurp;

ordered_json spectrum() {
  ordered_json p = ordered_json::object();
  for (int i = 0; i <= 99; ++i) p[std::to_string(i)] = 1000 + i;
  for (const char* k : {"99.5", "99.9", "99.95", "99.99", "99.999", "100"})
    p[k] = 5000;
  return p;
}

TEST(Distributions, SideFileNameSitsBesideTheResults) {
  EXPECT_EQ(results::side_file_name("a/b/results.json"),
            "distributions.json.gz");
  EXPECT_EQ(results::side_file_name("run.json"), "run.distributions.json.gz");
  EXPECT_EQ(results::side_file_path("/x/run.json"),
            "/x/run.distributions.json.gz");
  EXPECT_EQ(results::side_file_path("results.json"), "./distributions.json.gz");
}

TEST(Distributions, SplitKeepsTheReadPercentilesAndMovesTheSpectra) {
  ordered_json block = {
      {"benchmarks",
       {{{"name", "a"}, {"throughput", {{"msgs_per_s", 1}}}},
        {{"name", "b"},
         {"repetition_index", 2},
         {"latency", {{"count", 10}, {"percentiles_ns", spectrum()}}},
         {"oneway", {{"driver_to_peer", {{"percentiles_ns", spectrum()}}}}},
         {"pairs", {{{"latency", {{"percentiles_ns", spectrum()}}}}}}}}}};
  const ordered_json side = results::split_distributions(block);
  const auto& lat = block["benchmarks"][1]["latency"]["percentiles_ns"];
  EXPECT_EQ(lat.size(), results::kept_percentiles().size());
  for (const char* k : {"0", "50", "90", "99", "99.9", "99.99", "100"})
    EXPECT_TRUE(lat.contains(k)) << k;
  EXPECT_FALSE(lat.contains("37"));
  EXPECT_EQ(block["benchmarks"][1]["latency"]["count"], 10);
  ASSERT_EQ(side["benchmarks"].size(), 1u);
  const auto& entry = side["benchmarks"][0];
  EXPECT_EQ(entry["index"], 1);
  EXPECT_EQ(entry["name"], "b");
  EXPECT_EQ(entry["repetition_index"], 2);
  EXPECT_EQ(entry["spectra"]["/latency"], spectrum());
  EXPECT_EQ(entry["spectra"]["/oneway/driver_to_peer"], spectrum());
  EXPECT_EQ(entry["spectra"]["/pairs/0/latency"], spectrum());
  EXPECT_EQ(results::split_distributions(block)["benchmarks"].size(), 0u)
      << "a second split finds nothing more to move";
}

TEST(Distributions, MissingPercentilesMoveOrKeepOnlyTheKeptPoints) {
  // Reached through objects, a distribution's percentiles_missing is a
  // detail: it moves to the side file whole. In an array (pairs), where a
  // merge patch cannot reach, it stays and keeps only the kept points.
  const ordered_json missing = {
      {"samples_needed", {{"97", 333}, {"99.99", 100000}}}, {"rule", "r"}};
  ordered_json block = {
      {"benchmarks",
       {{{"name", "a"},
         {"latency",
          {{"percentiles_ns", spectrum()}, {"percentiles_missing", missing}}},
         {"pairs",
          {{{"latency",
             {{"percentiles_ns", spectrum()},
              {"percentiles_missing", missing}}}},
           {{"latency",
             {{"percentiles_ns", spectrum()},
              {"percentiles_missing",
               {{"samples_needed", {{"97", 333}}}, {"rule", "r"}}}}}}}}}}}};
  const auto side = results::split_distributions(block);
  const auto& rec = block["benchmarks"][0];
  EXPECT_FALSE(rec["latency"].contains("percentiles_missing"));
  EXPECT_EQ(side["benchmarks"][0]["details"]["latency"]["percentiles_missing"],
            missing);
  EXPECT_EQ(rec["pairs"][0]["latency"]["percentiles_missing"]["samples_needed"],
            ordered_json({{"99.99", 100000}}));
  EXPECT_FALSE(rec["pairs"][1]["latency"].contains("percentiles_missing"));
}

TEST(Distributions, DetailsAndExactFiguresMergeBackIntoTheWholeRecord) {
  const ordered_json side_cost = {
      {"ns_per_msg", 1000.0 / 3},  {"user_ns_per_msg", 250.5},
      {"system_ns_per_msg", 83.0}, {"units", 90},
      {"run_delay_ns", nullptr},   {"wall_ns", 1234567}};
  const ordered_json original = {
      {"name", "rate/pipe/64/10pct"},
      {"placement",
       {{"preset", "cross"},
        {"driver_cpu", 0},
        {"peer_cpu", 1},
        {"shares", "NUMA node"},
        {"sharing", "same NUMA node"},
        {"driver_topology", {{"core", 0}, {"l3", 0}}},
        {"peer_topology", {{"core", 1}, {"l3", 1}}}}},
      {"capacity", {{"mode", "default"}, {"source", "F_GETPIPE_SZ"}}},
      {"offered_rate_per_s", 27368.602726924455},
      {"warmup", {{"messages", 10}, {"method", "methods:warmup.method"}}},
      {"latency",
       {{"unit", "ns"},
        {"count", 90},
        {"mean_ns", 126581.65555555555},
        {"min_ns", 1000},
        {"percentiles_ns", spectrum()}}},
      {"rate",
       {{"offered_per_s", 27368.602726924455},
        {"achieved_per_s", 24389.15400957274},
        {"messages", 90},
        {"elapsed_ns", 3690161},
        {"sender_lag", {{"count", 90}, {"percentiles_ns", spectrum()}}},
        {"relative",
         {{"asked", "percent"},
          {"percent", 10.0},
          {"stream_msgs_per_s", 273686.02726924454},
          {"stream_source", "calibration: a stream run"}}}}},
      {"cpu",
       {{"per", "message"},
        {"driver", side_cost},
        {"peer", side_cost},
        {"source", "methods:cpu.source"}}},
      {"contention",
       {{"driver_run_delay_fraction", nullptr},
        {"peer_run_delay_fraction", 0.17930226527353993},
        {"judged", false},
        {"contended", false},
        {"not_judged", "the loops share a CPU"}}},
      {"fanin",
       {{"per_producer", {{{"share", 1.0 / 3}, {"messages", 7}}}},
        {"release", "methods:fanin.release"}}},
      {"fanout",
       {{"delivered",
         {{"msgs_per_s", 1091606.0},
          {"basis", "methods:fanout.delivered.basis"}}}}}};
  ordered_json block = {{"benchmarks", {original}}};
  const auto side = results::split_distributions(block);
  const auto& rec = block["benchmarks"][0];
  // What no chart reads is gone; what they read stays, rounded to 7
  // significant digits; a null stays (a merge patch's null deletes).
  EXPECT_FALSE(rec.contains("warmup"));
  EXPECT_FALSE(rec["placement"].contains("driver_topology"));
  EXPECT_FALSE(rec["placement"].contains("shares"));
  EXPECT_EQ(rec["placement"]["sharing"], "same NUMA node");
  EXPECT_FALSE(rec["capacity"].contains("source"));
  EXPECT_FALSE(rec["rate"].contains("sender_lag"));
  EXPECT_FALSE(rec["rate"].contains("offered_per_s"));
  EXPECT_FALSE(rec["rate"]["relative"].contains("stream_source"));
  EXPECT_EQ(rec["rate"]["relative"]["stream_msgs_per_s"], 273686.0);
  EXPECT_EQ(rec["rate"]["achieved_per_s"], 24389.15);
  EXPECT_EQ(rec["offered_rate_per_s"], 27368.6);
  EXPECT_EQ(rec["latency"]["mean_ns"], 126581.7);
  EXPECT_FALSE(rec["latency"].contains("unit"));
  EXPECT_FALSE(rec["latency"].contains("min_ns"));
  EXPECT_EQ(rec["latency"]["percentiles_ns"]["0"], 1000);
  EXPECT_FALSE(rec["rate"].contains("messages"));
  EXPECT_FALSE(rec["rate"].contains("elapsed_ns"));
  EXPECT_EQ(rec["cpu"]["driver"], ordered_json({{"ns_per_msg", 333.3333},
                                                {"run_delay_ns", nullptr}}));
  EXPECT_FALSE(rec["cpu"].contains("source"));
  EXPECT_FALSE(rec["fanin"].contains("release"));
  EXPECT_FALSE(rec["fanout"]["delivered"].contains("basis"));
  EXPECT_EQ(rec["fanout"]["delivered"]["msgs_per_s"], 1091606.0);
  EXPECT_EQ(rec["contention"],
            ordered_json({{"driver_run_delay_fraction", nullptr},
                          {"judged", false},
                          {"contended", false}}));
  // In an array too (the side file holds the exact array whole).
  EXPECT_EQ(rec["fanin"]["per_producer"][0]["share"], 0.3333333);
  // Details, then spectra, merged back: the record as it was, exactly.
  ASSERT_EQ(side["benchmarks"].size(), 1u);
  const auto& item = side["benchmarks"][0];
  ordered_json whole = rec;
  whole.merge_patch(item["details"]);
  for (const auto& [pointer, spectrum] : item["spectra"].items())
    whole[nlohmann::ordered_json::json_pointer(pointer)]["percentiles_ns"] =
        spectrum;
  EXPECT_EQ(nlohmann::json(whole), nlohmann::json(original));
}

TEST(Distributions, TheContendedListHasItsFractionsRounded) {
  ordered_json block = {{"contended",
                         {{{"name", "a"},
                           {"repetition_index", 0},
                           {"driver_run_delay_fraction", 0.27948460987358953},
                           {"peer_run_delay_fraction", nullptr}}}},
                        {"benchmarks", ordered_json::array()}};
  results::split_distributions(block);
  EXPECT_EQ(block["contended"][0]["driver_run_delay_fraction"], 0.2794846);
  EXPECT_TRUE(block["contended"][0]["peer_run_delay_fraction"].is_null());
  EXPECT_EQ(block["contended"][0]["repetition_index"], 0);
}

TEST(Distributions, ResultsTextHasOneRecordPerLine) {
  ordered_json doc = {
      {"context", {{"date", "d"}}},
      {"benchmarks", {{{"name", "x"}}, {{"name", "y"}}}},
      {"ipcbench",
       {{"command_line", {"a", "b"}},
        {"benchmarks", {{{"name", "x"}, {"latency", {{"count", 1}}}}}}}}};
  const std::string text = results::dump_lines(doc);
  EXPECT_EQ(nlohmann::ordered_json::parse(text), doc);
  EXPECT_NE(text.find("\n      {\"name\":\"x\",\"latency\":{\"count\":1}}\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"command_line\": [\"a\",\"b\"],\n"), std::string::npos)
      << text;
}

TEST(Distributions, GzipRoundTripsAndTheEntryNamesSizeAndCrc) {
  const std::string text(100000, 'x');
  const std::string gz = results::gzip(text);
  EXPECT_LT(gz.size(), text.size() / 10);
  EXPECT_EQ(testing::gunzip_text(gz), text);
  EXPECT_EQ(results::crc32_of("123456789"), 0xCBF43926u);  // the check value
  const auto e = results::side_file_entry(
      "r/results.json", gz, {{"benchmarks", ordered_json::array()}});
  EXPECT_EQ(e["file"], "distributions.json.gz");
  EXPECT_EQ(e["bytes"], gz.size());
  EXPECT_EQ(e["crc32"], results::crc32_of(gz));
}

TEST(Distributions, ARunWritesTheSideFileItsResultsName) {
  ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  auto r = run_ipcbench({"--out=" + out, "--transports=pipe", "--sizes=64",
                         "--scenarios=pingpong", "--baselines=none",
                         "--benchmark_min_time=0.01", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(slurp(out));
  const auto& entry = doc["ipcbench"]["distributions"];
  ASSERT_EQ(entry["file"], "distributions.json.gz");
  const std::string gz = slurp(dir.path + "/distributions.json.gz");
  EXPECT_EQ(entry["bytes"], gz.size());
  EXPECT_EQ(entry["crc32"], results::crc32_of(gz));
  const auto side = nlohmann::json::parse(testing::gunzip_text(gz));
  EXPECT_EQ(side["format"], results::kDistributionsFormat);
  ASSERT_GE(side["benchmarks"].size(), 1u);
  const auto& first = side["benchmarks"][0];
  const auto& rec = doc["ipcbench"]["benchmarks"][first["index"].get<int>()];
  EXPECT_EQ(rec["name"], first["name"]);
  EXPECT_GT(first["spectra"]["/latency"].size(),
            rec["latency"]["percentiles_ns"].size());
  for (const auto& e : fs::directory_iterator(dir.path))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos)
        << "temporary left: " << e.path();
}

}  // namespace
}  // namespace ipcb
