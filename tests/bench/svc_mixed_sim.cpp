// svc_mixed_sim: the svc_mixed experiment in one process, for iterating on tuners quickly.
// The same space and objective (5-fold CV accuracy of an SVC on breast_cancer, computed by
// krige::training, memoized), with `parallelism` trials in flight (the oldest completes
// first). It is a proxy: the goal is measured by svc_mixed_bench through the real stack.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <numeric>
#include <sstream>
#include <thread>

#include "bench_common.hpp"
#include "krige/codec.hpp"
#include "krige/training/cross_validation.hpp"
#include "krige/tuners/tuner.hpp"

namespace {

using krige::bench::Median;

}  // namespace

int main(int argc, char** argv) {
  int seeds = 30, trials = 30, parallelism = 2, first = 1;
  std::map<std::string, double> options;
  std::vector<std::string> tuners = {"gp", "random"};
  std::string cache_path;
  bool landscape = false, trace = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seeds" && i + 1 < argc) seeds = std::stoi(argv[++i]);
    if (a == "--first" && i + 1 < argc) first = std::stoi(argv[++i]);
    if (a == "--trials" && i + 1 < argc) trials = std::stoi(argv[++i]);
    if (a == "--parallelism" && i + 1 < argc) parallelism = std::stoi(argv[++i]);
    if (a == "--tuners" && i + 1 < argc) {
      tuners = krige::bench::SplitCommas(argv[++i]);
    }
    if (a == "--cache" && i + 1 < argc) cache_path = argv[++i];
    if (a == "--landscape") landscape = true;
    if (a == "--trace") trace = true;
    if (a == "--gp-option" && i + 1 < argc) {
      const std::string kv = argv[++i];
      options[kv.substr(0, kv.find('='))] = std::stod(kv.substr(kv.find('=') + 1));
    }
  }
  auto spec = krige::SpecFromJson(krige::YamlToJson(krige::bench::kSvcMixedSpec));
  spec.training.dataset = KRIGE_SOURCE_DIR "/examples/data/breast_cancer.csv";

  std::mutex mu;
  std::map<krige::Params, double> cache;
  // Optional memo file across runs: one line per configuration, "key value".
  std::map<std::string, double> memo;
  auto key = [](const krige::Params& p) {
    std::ostringstream k;
    k.precision(17);
    for (const auto& [name, value] : p) {
      k << name << '=';
      if (const auto* s = std::get_if<std::string>(&value))
        k << *s;
      else
        k << krige::AsDouble(value);
      k << ';';
    }
    return k.str();
  };
  if (!cache_path.empty()) {
    std::ifstream in(cache_path);
    std::string k;
    double v;
    while (in >> k >> v) memo[k] = v;
  }
  std::ofstream memo_out;
  if (!cache_path.empty()) memo_out.open(cache_path, std::ios::app);
  auto f = [&](const krige::Params& p) {
    const std::string k = key(p);
    {
      std::lock_guard<std::mutex> lock(mu);
      const auto it = memo.find(k);
      if (it != memo.end()) return it->second;
    }
    const double v =
        krige::training::CrossValidate(spec.training, p, "accuracy", {}).metrics.at("accuracy");
    std::lock_guard<std::mutex> lock(mu);
    memo[k] = v;
    if (memo_out.is_open()) {
      memo_out.precision(17);
      memo_out << k << ' ' << v << '\n' << std::flush;
    }
    return v;
  };
  if (landscape) {
    // A coarse grid: the best accuracy each kernel can reach.
    for (const std::string kernel : {"linear", "rbf", "poly"})
      for (int deg = 2; deg <= (kernel == "poly" ? 4 : 2); ++deg) {
        double b = 0;
        krige::Params arg;
        const int nc = 16, ng = kernel == "linear" ? 1 : 16;
        for (int i = 0; i < nc; ++i)
          for (int j = 0; j < ng; ++j) {
            krige::Params p;
            p["kernel"] = kernel;
            p["C"] = std::pow(10.0, -2 + 5.0 * i / (nc - 1));
            p["gamma"] = std::pow(10.0, -5 + 5.0 * j / std::max(1, ng - 1));
            if (kernel == "poly") p["degree"] = static_cast<std::int64_t>(deg);
            const double v = f(p);
            if (v > b) {
              b = v;
              arg = p;
            }
          }
        std::printf("%s deg %d: best %.5f at %s\n", kernel.c_str(), deg, b, key(arg).c_str());
      }
    // rbf in detail: a character map of accuracy over log C (rows) x log gamma (columns).
    for (int i = 0; i <= 30; ++i) {
      std::string row;
      for (int j = 0; j <= 40; ++j) {
        krige::Params p;
        p["kernel"] = std::string("rbf");
        p["C"] = std::pow(10.0, -2 + 5.0 * i / 30);
        p["gamma"] = std::pow(10.0, -5 + 5.0 * j / 40);
        const int ticks = static_cast<int>(std::lround((1 - f(p)) * 569));
        row += ticks <= 10   ? '*'
               : ticks <= 19 ? static_cast<char>('0' + ticks - 10)
               : ticks < 30  ? '+'
                             : '.';
      }
      std::printf("C=%9.3g %s\n", std::pow(10.0, -2 + 5.0 * i / 30), row.c_str());
    }
    return 0;
  }

  for (const auto& name : tuners) {
    std::vector<double> best(seeds);
    std::atomic<int> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < 2; ++t)
      pool.emplace_back([&] {
        for (int s; (s = next++) < seeds;) {
          krige::tuners::TunerContext c;
          c.space = spec.space;
          c.goal = krige::Goal::kMaximize;
          c.seed = static_cast<std::uint64_t>(first + s);
          if (name == "gp") c.options = options;
          const auto tuner = krige::tuners::DefaultRegistry().Create(name, c);
          krige::tuners::History h;
          double b = 0;
          int created = 0;
          while (created < trials || !h.pending.empty()) {
            while (created < trials && static_cast<int>(h.pending.size()) < parallelism) {
              const auto sug = tuner->Suggest(h, 1);
              if (sug.empty()) break;
              h.pending.push_back(sug[0].params);
              ++created;
            }
            if (h.pending.empty()) break;
            const krige::Params p = h.pending.front();
            h.pending.erase(h.pending.begin());
            const double v = f(p);
            h.completed.push_back({p, v});
            if (trace) {
              std::lock_guard<std::mutex> lock(mu);
              std::printf("%s seed %d trial %zu: %.5f %s\n", name.c_str(), first + s,
                          h.completed.size(), v, key(p).c_str());
            }
            b = std::max(b, v);
          }
          best[s] = b;
        }
      });
    for (auto& t : pool) t.join();
    std::sort(best.begin(), best.end());
    std::printf("%-8s median %.5f  min %.5f  max %.5f  mean %.5f  q25 %.5f\n", name.c_str(),
                Median(best), best.front(), best.back(),
                std::accumulate(best.begin(), best.end(), 0.0) / seeds, best[seeds / 4]);
    // Misclassified samples (of 569) of each seed's best: the objective moves in these steps.
    std::map<long, int> ticks;
    for (double b : best) ++ticks[std::lround((1 - b) * 569)];
    std::printf("         errors:");
    for (const auto& [t, count] : ticks) std::printf(" %ld:%d", t, count);
    std::printf("\n");
  }
  return 0;
}
