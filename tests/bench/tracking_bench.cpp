// Experiment tracking throughput (issue 11): metric points per second logged durably from one
// process with krige::Tracker (from the first LogMetric until Flush returns, i.e. committed in
// PostgreSQL), the cost of one LogMetric call, and a baseline in the same run: the same client
// logging one point per REST call (what an MLflow log_metric loop does). Real stack: a
// throwaway PostgreSQL (fsync on, the defaults of scripts/pg-cluster) and krige-server on
// 127.0.0.1. Writes NAME.json.
//   tracking_bench [--name tracking] [--quick] [--points N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "krige/tracker.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = "tracking";
  bool quick = false;
  long points = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--name" && i + 1 < argc) name = argv[++i];
    if (a == "--quick") quick = true;
    if (a == "--points" && i + 1 < argc) points = std::stol(argv[++i]);
  }
  if (points == 0) points = quick ? 200000 : 2000000;
  const long baseline_points = quick ? 300 : 2000;
  const long timed_calls = quick ? 200000 : 1000000;
  try {
    krige::testing::TempDir dir;
    std::system(("chmod 755 " + dir.path()).c_str());  // PostgreSQL runs as postgres under root
    krige::bench::LocalStack stack(dir.path(), 0);
    krige::Tracker tracker(stack.client());

    // 1. Throughput, durable: every point committed when Flush returns.
    krige::Run run = tracker.StartRun("bench", {{"points", std::to_string(points)}});
    const auto t0 = Clock::now();
    for (long i = 0; i < points; ++i) run.LogMetric("loss", 1.0 / (1 + i), i);
    run.Flush();
    const double elapsed = Seconds(Clock::now() - t0);
    const double rate = points / elapsed;
    const std::size_t stored = tracker.MetricHistory(run.id(), "loss").size();
    if (stored != static_cast<std::size_t>(points) || run.points_dropped() != 0)
      throw std::runtime_error("stored " + std::to_string(stored) + " of " +
                               std::to_string(points) + " points");
    run.End();

    // 2. The cost of one LogMetric call, timed one by one while the background thread sends
    // (the clock's own cost, measured the same way, is subtracted).
    krige::Run timed = tracker.StartRun("bench", {}, {}, "call cost");
    std::vector<double> ns;
    ns.reserve(static_cast<std::size_t>(timed_calls));
    std::vector<double> clock_ns;
    for (int i = 0; i < 100000; ++i) {
      const auto a = Clock::now();
      const auto b = Clock::now();
      clock_ns.push_back(std::chrono::duration<double, std::nano>(b - a).count());
    }
    const double clock_cost = krige::bench::Median(clock_ns);
    for (long i = 0; i < timed_calls; ++i) {
      const auto a = Clock::now();
      timed.LogMetric("acc", 0.5, i);
      const auto b = Clock::now();
      ns.push_back(std::chrono::duration<double, std::nano>(b - a).count() - clock_cost);
    }
    timed.End();
    const double median_ns = std::max(0.0, krige::bench::Median(ns));
    std::sort(ns.begin(), ns.end());
    const double p99_ns = ns[ns.size() * 99 / 100];

    // 3. Baseline: one REST call per point, the same client and server.
    krige::Run base = tracker.StartRun("bench", {}, {}, "per-point REST");
    const std::string target = "/api/v1/runs/" + std::to_string(base.id()) + "/log";
    const auto b0 = Clock::now();
    for (long i = 0; i < baseline_points; ++i) {
      krige::HttpRequest request;
      request.method = "POST";
      request.target = target;
      request.body =
          krige::Json{{"metrics", {{{"key", "loss"}, {"value", 1.0 / (1 + i)}, {"step", i}}}}}
              .dump();
      const krige::HttpResponse r = stack.client().transport()->Send(request);
      if (r.status != 200) throw std::runtime_error("baseline log failed: " + r.body);
    }
    const double baseline_rate = baseline_points / Seconds(Clock::now() - b0);
    base.End();

    std::printf("%-46s %14s\n", "measure", "value");
    std::printf("%-46s %14.0f\n", "Tracker points/s, durable (committed)", rate);
    std::printf("%-46s %14ld\n", "  points logged", points);
    std::printf("%-46s %14.2f\n", "  seconds to the last commit", elapsed);
    std::printf("%-46s %14.1f\n", "LogMetric median ns per call", median_ns);
    std::printf("%-46s %14.1f\n", "LogMetric p99 ns per call", p99_ns);
    std::printf("%-46s %14.0f\n", "baseline: one REST call per point, points/s", baseline_rate);
    std::printf("%-46s %14.1f\n", "Tracker / baseline", rate / baseline_rate);

    krige::Json out;
    out["name"] = name;
    out["quick"] = quick;
    out["tracker"] = {{"points", points},
                      {"seconds", elapsed},
                      {"points_per_second", rate},
                      {"log_metric_median_ns", median_ns},
                      {"log_metric_p99_ns", p99_ns},
                      {"timed_calls", timed_calls}};
    out["baseline_per_point_rest"] = {{"points", baseline_points},
                                      {"points_per_second", baseline_rate}};
    out["ratio_tracker_over_baseline"] = rate / baseline_rate;
    out["goals"] =
        krige::Json::array({{{"name", "points per second logged durably with the Tracker"},
                             {"target", ">= 100000"},
                             {"value", rate},
                             {"met", rate >= 100000}},
                            {{"name", "median cost of one LogMetric call (ns)"},
                             {"target", "<= 1000"},
                             {"value", median_ns},
                             {"met", median_ns <= 1000}}});
    std::ofstream(name + ".json") << out.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tracking_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
