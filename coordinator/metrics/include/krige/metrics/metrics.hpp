// Prometheus text exposition (format 0.0.4) for GET /metrics: histograms that any thread may
// observe into, and an Exposition that collectors write their families into at scrape time.
// Counters and gauges are the owners' own atomics, read when scraped. No Prometheus client
// library is packaged by Debian; this is the small part of one krige needs.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace krige::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Counts observations into buckets with the given upper bounds (ascending; +Inf is implied).
// Observe is lock-free and thread-safe.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

  // Bounds for durations in seconds, 100 us .. 10 s, and for batch sizes, 1 .. 10 000.
  static std::vector<double> Seconds();
  static std::vector<double> Sizes();

 private:
  friend class Exposition;
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // not cumulative; last is +Inf
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_bits_{0};  // a double, added by compare-and-swap
};

// One scrape's text. Family() starts a metric family (HELP and TYPE lines); the samples that
// follow belong to it. Label values are escaped as the format requires.
class Exposition {
 public:
  void Family(const std::string& name, const char* type, const std::string& help);
  void Sample(const std::string& name, const Labels& labels, double value);
  void Write(const std::string& name, const Labels& labels, const Histogram& histogram);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// What /metrics serves: every collector, in the order added. Thread-safe once built.
class Registry {
 public:
  using Collector = std::function<void(Exposition&)>;
  void Add(Collector collector);
  std::string Expose() const;  // a collector that throws is skipped (and said so in a comment)

 private:
  std::vector<Collector> collectors_;
};

// HTTP requests by method, route pattern and status, with latency by route: fed by the
// router's observer (any handler thread), written by Collect.
class HttpStats {
 public:
  void Observe(const std::string& method, const std::string& route, int status, double seconds);
  void Collect(Exposition& out) const;

 private:
  struct Route {
    std::string method, route;
    std::vector<std::pair<int, std::uint64_t>> by_status;
    std::unique_ptr<Histogram> seconds;
  };
  mutable std::mutex mutex_;
  std::vector<Route> routes_;
};

}  // namespace krige::metrics
