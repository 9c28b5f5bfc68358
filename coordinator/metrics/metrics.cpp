#include "krige/metrics/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>

namespace krige::metrics {
namespace {

double FromBits(std::uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

std::uint64_t ToBits(double d) {
  std::uint64_t bits;
  std::memcpy(&bits, &d, sizeof d);
  return bits;
}

std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string Escape(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string LabelText(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first + "=\"" + Escape(labels[i].second) + "\"";
  }
  return out + "}";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i] = 0;
}

void Histogram::Observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t old = sum_bits_.load(std::memory_order_relaxed);
  while (!sum_bits_.compare_exchange_weak(old, ToBits(FromBits(old) + value),
                                          std::memory_order_relaxed)) {
  }
}

double Histogram::sum() const {
  return FromBits(sum_bits_.load(std::memory_order_relaxed));
}

std::vector<double> Histogram::Seconds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

std::vector<double> Histogram::Sizes() {
  return {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000};
}

void Exposition::Family(const std::string& name, const char* type, const std::string& help) {
  text_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void Exposition::Sample(const std::string& name, const Labels& labels, double value) {
  text_ += name + LabelText(labels) + " " + Number(value) + "\n";
}

void Exposition::Write(const std::string& name, const Labels& labels, const Histogram& h) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= h.bounds_.size(); ++i) {
    cumulative += h.buckets_[i].load(std::memory_order_relaxed);
    Labels with = labels;
    with.emplace_back("le", i < h.bounds_.size() ? Number(h.bounds_[i]) : "+Inf");
    Sample(name + "_bucket", with, static_cast<double>(cumulative));
  }
  Sample(name + "_sum", labels, h.sum());
  // The count as the buckets saw it, so that the +Inf bucket and _count always agree.
  Sample(name + "_count", labels, static_cast<double>(cumulative));
}

void Registry::Add(Collector collector) {
  collectors_.push_back(std::move(collector));
}

std::string Registry::Expose() const {
  std::string text;
  for (const auto& collect : collectors_) {
    Exposition part;
    try {
      collect(part);
      text += part.text();
    } catch (const std::exception& e) {
      std::string why = e.what();
      for (char& c : why)
        if (c == '\n') c = ' ';
      text += "# a collector failed: " + why + "\n";
    }
  }
  return text;
}

void HttpStats::Observe(const std::string& method, const std::string& route, int status,
                        double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  Route* r = nullptr;
  for (auto& candidate : routes_)
    if (candidate.method == method && candidate.route == route) r = &candidate;
  if (!r) {
    routes_.push_back({method, route, {}, std::make_unique<Histogram>(Histogram::Seconds())});
    r = &routes_.back();
  }
  bool counted = false;
  for (auto& [code, n] : r->by_status)
    if (code == status) counted = (++n, true);
  if (!counted) r->by_status.emplace_back(status, 1);
  r->seconds->Observe(seconds);
}

void HttpStats::Collect(Exposition& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  out.Family("krige_http_requests_total", "counter",
             "HTTP requests answered, by method, route pattern and status");
  for (const auto& r : routes_)
    for (const auto& [code, n] : r.by_status)
      out.Sample("krige_http_requests_total",
                 {{"method", r.method}, {"route", r.route}, {"code", std::to_string(code)}},
                 static_cast<double>(n));
  out.Family("krige_http_request_seconds", "histogram",
             "time from a request's dispatch to its response, by method and route pattern");
  for (const auto& r : routes_)
    out.Write("krige_http_request_seconds", {{"method", r.method}, {"route", r.route}}, *r.seconds);
}

}  // namespace krige::metrics
