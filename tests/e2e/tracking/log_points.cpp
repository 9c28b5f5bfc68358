// A user's training loop as a program: logs N points of one metric with krige::Tracker, paced
// so that the test can restart krige-server while it runs. Prints "run ID", "logged K" every
// 1000 points, and finally "done sent=S dropped=D".
//   tracking_log_points URL EXPERIMENT N MICROSECONDS_BETWEEN_POINTS
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "krige/tracker.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s URL EXPERIMENT N MICROSECONDS\n", argv[0]);
    return 2;
  }
  try {
    krige::Tracker tracker(krige::Client::Connect(argv[1], std::chrono::seconds(5), ""));
    const int n = std::stoi(argv[3]);
    const auto pause = std::chrono::microseconds(std::stoi(argv[4]));
    krige::Run run = tracker.StartRun(argv[2], {{"points", argv[3]}}, {{"kind", "restart"}});
    std::printf("run %lld\n", static_cast<long long>(run.id()));
    std::fflush(stdout);
    for (int i = 0; i < n; ++i) {
      run.LogMetric("loss", 1.0 / (1 + i), i);
      if ((i + 1) % 1000 == 0) {
        std::printf("logged %d\n", i + 1);
        std::fflush(stdout);
      }
      std::this_thread::sleep_for(pause);
    }
    run.End(krige::RunStatus::kFinished);
    std::printf("done sent=%zu dropped=%zu\n", run.points_sent(), run.points_dropped());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tracking_log_points: %s\n", e.what());
    return 1;
  }
}
