// rest: read throughput and latency of the REST API as an experiment grows. Experiments of
// 1 000, 100 000 and 1 000 000 completed trials are bulk-loaded through the storage layer
// (bench_common.hpp's LoadCompletedTrials, pg::ImportTrials) into a throwaway PostgreSQL
// behind a krige-server; wrk (16 connections, 2 threads) then reads, for SECONDS each: the
// first trial page by value, a page by value deep in the list (its cursor found by walking the
// pages), the experiment itself, and pages at random cursors (each rendered anew, no goal).
// Goals: >= 5 000 requests/s and p99 <= 20 ms at 100 000 trials, and the 1 000 000-trial
// figures within 1.5x of the 1 000-trial ones (requests/s and p99), per endpoint.
//   tests/bench/run rest [--quick] [--seconds S] [--sizes 1000,100000,1000000]
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "bench_common.hpp"
#include "krige/codec.hpp"
#include "krige/params.hpp"

namespace {

namespace kt = krige::testing;
using krige::Json;

struct WrkFigures {
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  long errors = 0;  // non-2xx answers and socket errors
};

double ToMs(double value, const std::string& unit) {
  if (unit == "us") return value / 1000;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60000;
  return value;  // ms
}

// `script`: a wrk Lua script that makes the requests (then `url` gives the host only).
WrkFigures Wrk(const std::string& url, int seconds, const std::string& script = "") {
  const auto [rc, out] =
      kt::RunCommand("wrk -t2 -c16 -d" + std::to_string(seconds) + "s --latency " +
                     (script.empty() ? "" : "-s '" + script + "' ") + "'" + url + "' 2>&1");
  if (rc != 0) throw std::runtime_error("wrk failed: " + out);
  WrkFigures f;
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([0-9.]+))")))
    f.rps = std::stod(m[1]);
  if (std::regex_search(out, m, std::regex(R"(\n\s+50%\s+([0-9.]+)(us|ms|s|m)\b)")))
    f.p50_ms = ToMs(std::stod(m[1]), m[2]);
  if (std::regex_search(out, m, std::regex(R"(\n\s+99%\s+([0-9.]+)(us|ms|s|m)\b)")))
    f.p99_ms = ToMs(std::stod(m[1]), m[2]);
  if (std::regex_search(out, m, std::regex(R"(Non-2xx or 3xx responses:\s+([0-9]+))")))
    f.errors += std::stol(m[1]);
  if (std::regex_search(out, m, std::regex(R"(Socket errors:[^\n]*timeout ([0-9]+))")))
    f.errors += std::stol(m[1]);
  if (f.rps == 0) throw std::runtime_error("cannot read wrk's output: " + out);
  return f;
}

Json Get(krige::Transport& http, const std::string& target) {
  const auto response = http.Send({"GET", target, "", {}});
  if (response.status != 200)
    throw std::runtime_error(target + " answered " + std::to_string(response.status) + ": " +
                             response.body);
  return krige::ParseJson(response.body);
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = "rest";
  int seconds = 20;
  std::vector<int> sizes = {1000, 100000, 1000000};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--name" && i + 1 < argc) name = argv[++i];
    if (a == "--quick") seconds = 5;
    if (a == "--seconds" && i + 1 < argc) seconds = std::stoi(argv[++i]);
    if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::stringstream list(argv[++i]);
      for (std::string item; std::getline(list, item, ',');) sizes.push_back(std::stoi(item));
    }
  }
  if (kt::RunCommand("command -v wrk").first != 0) {
    std::fprintf(stderr, "rest: wrk is not installed (scripts/install-deps installs it)\n");
    return 1;
  }
  kt::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);  // the postgres user runs the cluster in it when root
  krige::bench::LocalStack stack(dir.path(), 0);
  auto db = krige::storage::pg::OpenDatabase(stack.database_url(), 2);
  auto http = krige::MakeHttpTransport(stack.http(), std::chrono::seconds(60));
  std::mt19937_64 rng(7);

  // The pages are kept by the server until a trial of their experiment changes (a finished
  // study: never), so the first two read kept pages; "pages rendered" asks for a page at a
  // random cursor each time (wrk's Lua script), so that every answer is rendered anew: what a
  // page costs while its experiment changes.
  const char* endpoints[] = {"first page by value", "deep page by value", "experiment",
                             "pages rendered"};
  const char* kRendered = endpoints[3];
  std::map<int, std::map<std::string, WrkFigures>> figures;
  Json out;
  out["seconds_per_run"] = seconds;
  out["wrk"] = "wrk -t2 -c16 --latency";
  for (const int n : sizes) {
    krige::ExperimentSpec spec =
        krige::SpecFromJson(krige::ParseJson(krige::bench::kLoadedSpaceSpec));
    spec.name = "rest-" + std::to_string(n);
    const std::int64_t id = stack.client().CreateExperiment(spec).id;
    const auto load_start = std::chrono::steady_clock::now();
    krige::bench::LoadCompletedTrials(*db, id, n, rng);
    const double load_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
    // A finished study: what users browse. ANALYZE as autovacuum would, soon after.
    kt::RunCommand("psql -qAt '" + stack.database_url() +
                   "' -c \"UPDATE experiments SET state = 'completed' WHERE id = " +
                   std::to_string(id) + "\" -c 'ANALYZE trials' >/dev/null");
    const std::string base = "/api/v1/experiments/" + std::to_string(id);
    // The cursor of the page at 90% of the list, walked to with the largest pages.
    std::string cursor;
    int walked = 0;
    while (walked < n * 9 / 10) {
      const int take = std::min(1000, n * 9 / 10 - walked);
      const Json page =
          Get(*http, base + "/trials?sort=value&limit=" + std::to_string(take) +
                         (cursor.empty() ? "" : "&cursor=" + krige::PercentEncode(cursor)));
      walked += static_cast<int>(page["trials"].size());
      cursor = page["next_cursor"].get<std::string>();
      if (cursor.empty()) break;
    }
    const std::map<std::string, std::string> urls = {
        {endpoints[0], base + "/trials?limit=100&sort=value"},
        {endpoints[1],
         base + "/trials?limit=100&sort=value&cursor=" + krige::PercentEncode(cursor)},
        {endpoints[2], base}};
    const Json check = Get(*http, urls.at(endpoints[1]));
    if (check["trials"].size() != 100u)
      throw std::runtime_error("the deep page has " + std::to_string(check["trials"].size()) +
                               " trials");
    if (Get(*http, base)["trials"]["completed"].get<int>() != n)
      throw std::runtime_error("the experiment does not count its trials");
    std::printf("%d trials loaded in %.1f s\n", n, load_s);
    std::fflush(stdout);
    out["load_seconds"][std::to_string(n)] = load_s;
    // Cursors by value between the best value and the deep page's last one.
    const double best = Get(*http, urls.at(endpoints[0]))["trials"][0]["value"].get<double>();
    const double deep = check["trials"][99]["value"].get<double>();
    const std::string script = dir.path() + "/random_cursor.lua";
    std::ofstream(script) << "math.randomseed(7)\n"
                          << "request = function()\n"
                          << "  local v = " << krige::ToString(krige::ParamValue{deep}) << " + "
                          << krige::ToString(krige::ParamValue{best - deep}) << " * math.random()\n"
                          << "  return wrk.format(nil, '" << base
                          << "/trials?limit=100&sort=value&cursor=v%3A' .. "
                             "string.format('%.17g', v) .. '%3A0')\n"
                          << "end\n";
    figures[n][kRendered] = Wrk(stack.http(), seconds, script);
    out["runs"].push_back({{"trials", n},
                           {"endpoint", kRendered},
                           {"target", base + "/trials?limit=100&sort=value&cursor=(random)"},
                           {"requests_per_second", figures[n][kRendered].rps},
                           {"p50_ms", figures[n][kRendered].p50_ms},
                           {"p99_ms", figures[n][kRendered].p99_ms},
                           {"errors", figures[n][kRendered].errors}});
    for (const auto& [endpoint, target] : urls) {
      figures[n][endpoint] = Wrk(stack.http() + target, seconds);
      const auto& f = figures[n][endpoint];
      out["runs"].push_back({{"trials", n},
                             {"endpoint", endpoint},
                             {"target", target},
                             {"requests_per_second", f.rps},
                             {"p50_ms", f.p50_ms},
                             {"p99_ms", f.p99_ms},
                             {"errors", f.errors}});
    }
  }

  std::printf("\n%-22s %10s %12s %10s %10s %8s\n", "endpoint", "trials", "requests/s", "p50 ms",
              "p99 ms", "errors");
  for (const char* endpoint : endpoints)
    for (const int n : sizes) {
      const auto& f = figures[n][endpoint];
      std::printf("%-22s %10d %12.0f %10.2f %10.2f %8ld\n", endpoint, n, f.rps, f.p50_ms, f.p99_ms,
                  f.errors);
    }

  Json goals = Json::array();
  auto goal = [&](const std::string& what, double target, double value, bool met) {
    goals.push_back({{"name", what}, {"target", target}, {"value", value}, {"met", met}});
  };
  const bool has_100k = figures.count(100000) > 0;
  const bool has_ends = figures.count(1000) > 0 && figures.count(1000000) > 0;
  for (const char* endpoint : endpoints) {
    if (endpoint == kRendered) continue;  // shown, not a goal: the goals are the users' reads
    if (has_100k) {
      const auto& f = figures[100000][endpoint];
      goal(std::string(endpoint) + ": requests/s at 100 000 trials", 5000, f.rps, f.rps >= 5000);
      goal(std::string(endpoint) + ": p99 ms at 100 000 trials", 20, f.p99_ms, f.p99_ms <= 20);
    }
    if (has_ends) {
      const auto& small = figures[1000][endpoint];
      const auto& large = figures[1000000][endpoint];
      const double slower = small.rps / large.rps;
      const double later = large.p99_ms / small.p99_ms;
      goal(std::string(endpoint) + ": requests/s at 1 000 / at 1 000 000", 1.5, slower,
           slower <= 1.5);
      goal(std::string(endpoint) + ": p99 at 1 000 000 / at 1 000", 1.5, later, later <= 1.5);
    }
  }
  krige::bench::WriteGoals(out, goals, name);
  return 0;
}
