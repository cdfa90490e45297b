#!/usr/bin/env bash
# ipcbench: install what is missing (Debian packages), build, then either run
# the suite (default) or every test (--test).
#
#   ./run_all.sh [--quick|--full|--budget=15m] [ipcbench flags...]
#                                                results/<UTC stamp>/results.json
#   ./run_all.sh --test                          Release + ASan/UBSan test suites
#   ./run_all.sh --report R.json                 charts and report.html of R.json
#                                                (beside it) again
#   ./run_all.sh --compare A.json B.json [compare.py flags...]
#                                  B against A; chart in results/compare-<stamp>/;
#                                  --fail-above=5%: exit 1 on a regression
#   ./run_all.sh --export=hgrm R.json [hgrm.py flags...]
#                                  latency distributions as HdrHistogram .hgrm
#                                  files (in hgrm/ beside R.json)
#
# Extra arguments pass through to ipcbench (or compare.py, hgrm.py) untouched
# (never evaluated).
set -euo pipefail
readonly CALLER_DIR="$PWD"
cd "$(dirname "$0")"
readonly ROOT="$PWD"

readonly PACKAGES=(
  cmake g++ make git
  libbenchmark-dev libbenchmark-tools nlohmann-json3-dev libboost-dev
  libzmq3-dev cppzmq-dev libgtest-dev libhwloc-dev zlib1g-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  python3-matplotlib python3-scipy python3-pytest python3-pytest-xdist
  python3-jsonschema
  iceoryx libiceoryx-posh-dev
  redis-server libhiredis-dev nats-server libnats-dev
  libssl-dev iproute2
  chromium
)
readonly JOBS="$(nproc 2>/dev/null || echo 2)"

say() { printf 'run_all: %s\n' "$*" >&2; }

install_missing() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  say "installing missing Debian packages: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo)
    else
      say "cannot install as $(id -un) (not root, no password-less sudo); run:"
      printf '  sudo apt-get update && sudo apt-get install -y %s\n' "${missing[*]}" >&2
      exit 1
    fi
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {  # build DIR [cmake args...]
  local dir="$1"
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

run_tests() {
  build build
  say "tests (Release build)"
  ctest --test-dir build --output-on-failure -j "$JOBS"
  build build-asan -DIPCB_SANITIZE=ON
  say "tests (AddressSanitizer + UBSan build)"
  # netlab_tests (network namespaces, a delay line, timed network runs)
  # check the network's behaviour, not memory: the sanitizer build leaves
  # them out (tests/CMakeLists.txt). The same remote code runs here in
  # remote_test over loopback.
  ASAN_OPTIONS=detect_leaks=1:handle_segv=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS"
}

run_suite() {
  local args=("$@")
  build build
  local dir out status=0
  dir="$(make_run_dir)"
  out="${dir}/results.json"
  # In the background so that a stop signal reaches ipcbench at once: it then
  # saves the results so far (marked incomplete) and exits 128 + signal.
  ./build/ipcbench --out="$out" "${args[@]+"${args[@]}"}" &
  local child=$! sig
  for sig in INT TERM HUP QUIT; do
    # shellcheck disable=SC2064  # expand $sig and $child now
    trap "kill -${sig} ${child} 2>/dev/null || true" "$sig"
  done
  while kill -0 "$child" 2>/dev/null; do wait "$child" || true; done
  wait "$child" || status=$?
  trap - INT TERM HUP QUIT
  if [[ -f "$out" ]]; then
    say "results: $out"
    make_report "$out" "$dir" || {
      local report_status=$?
      [[ $report_status -ge 128 ]] && return "$report_status"
    }
  fi
  return "$status"
}

# A new directory results/<UTC stamp>[-N] for this run: mkdir is exclusive,
# so two runs started in the same second never share one.
make_run_dir() {
  local base n=1 dir
  base="results/$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p results
  dir="$base"
  until mkdir "$dir" 2>/dev/null; do
    n=$((n + 1))
    if [[ $n -gt 1000 || ! -d results ]]; then
      say "cannot create a run directory $base-N under results/"
      exit 1
    fi
    dir="${base}-${n}"
  done
  printf '%s\n' "$dir"
}

# make_report RESULTS.json DIR: charts and report.html into DIR. A failed
# report leaves the results intact (status 1); an interrupted one returns
# 128 + signal, so that Ctrl-C during the report ends run_all.sh with 130.
make_report() {
  local out="$1" dir="$2" status=0 stopped=0
  [[ -f plot/report.py ]] || return 0
  trap 'stopped=130' INT
  trap 'stopped=143' TERM
  trap 'stopped=129' HUP
  trap 'stopped=131' QUIT
  /usr/bin/python3 plot/report.py "$out" --out-dir "$dir" || status=$?
  trap - INT TERM HUP QUIT
  if [[ $stopped -ne 0 || $status -ge 128 ]]; then
    [[ $stopped -ne 0 ]] || stopped=$status
    say "report interrupted (results are intact in $out)"
    return "$stopped"
  fi
  if [[ $status -ne 0 ]]; then
    say "report generation failed (results are intact in $out)"
    return 1
  fi
}

run_compare() {  # run_compare A.json B.json [compare.py flags...]
  local args=("$@") a has_out=0
  for a in "$@"; do [[ "$a" == --out-dir || "$a" == --out-dir=* ]] && has_out=1; done
  if [[ $has_out -eq 0 ]]; then
    args+=(--out-dir "${ROOT}/results/compare-$(date -u +%Y%m%dT%H%M%SZ)")
  fi
  # From the caller's directory, so that relative paths mean what they typed.
  (cd "$CALLER_DIR" && /usr/bin/python3 "${ROOT}/plot/compare.py" "${args[@]}")
}

main() {
  install_missing
  if [[ "${1:-}" == "--test" ]]; then
    shift
    [[ $# -eq 0 ]] || { say "--test takes no further arguments (got: $*)"; exit 2; }
    run_tests
  elif [[ "${1:-}" == "--report" ]]; then
    shift
    [[ $# -eq 1 && -f "$1" ]] || { say "--report needs one results file: --report results/<run>/results.json"; exit 2; }
    local out
    out="$(cd "$CALLER_DIR" && realpath -- "$1")"
    make_report "$out" "$(dirname -- "$out")"
  elif [[ "${1:-}" == "--compare" ]]; then
    shift
    [[ $# -ge 2 ]] || { say "--compare needs two results files: --compare A.json B.json"; exit 2; }
    run_compare "$@"
  elif [[ "${1:-}" == "--export=hgrm" ]]; then
    shift
    [[ $# -ge 1 ]] || { say "--export=hgrm needs a results file: --export=hgrm results/<run>/results.json"; exit 2; }
    # From the caller's directory, so that relative paths mean what they typed.
    (cd "$CALLER_DIR" && /usr/bin/python3 "${ROOT}/plot/hgrm.py" "$@")
  elif [[ "${1:-}" == --export || "${1:-}" == --export=* ]]; then
    say "--export: the one format is hgrm: --export=hgrm results/<run>/results.json"
    exit 2
  else
    run_suite "$@"
  fi
}

main "$@"
