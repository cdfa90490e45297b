// How a figure was made is explained in prose that is the same in every
// record (the warm-up rule, how CPU time and contention are measured, the
// sample-count rule of missing percentiles...). Written once per record it
// was a fifth of a results file; it is kept once, in the results' "methods"
// block, and each record holds "methods:<key>" in its place.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ipcb::bench {

inline constexpr const char* kMethodRef = "methods:";

// Replaces each explanatory text of `rec` (at the paths listed in
// methods.cpp) by "methods:<key>", adding the text to `methods` under
// <key> unless it is there already. Two different texts at one path get
// keys of their own ("cpu.source", "cpu.source~2"). Other strings, and
// texts that are already references, are left as they are.
void hoist_methods(nlohmann::ordered_json& rec,
                   nlohmann::ordered_json& methods);

}  // namespace ipcb::bench
