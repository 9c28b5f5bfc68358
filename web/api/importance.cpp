// GET /api/v1/experiments/{id}/importance: fANOVA parameter importance over the completed
// trials (fanova.hpp), recomputed only when the experiment's trials changed (its last seq).
#include <cmath>
#include <map>
#include <mutex>

#include "decode.hpp"
#include "fanova.hpp"
#include "feed_handlers.hpp"
#include "krige/error.hpp"

namespace krige::web {
namespace {

struct Encoded {
  std::vector<fanova::Dimension> dims;
  std::vector<std::vector<double>> x;
  std::vector<double> y;
};

// Log parameters in log10 space; ints and floats as they are; a categorical as one ordinal
// dimension, choice i on the cell [i, i+1). A conditional parameter gets one more cell below
// its domain for the trials where it is inactive (one tenth of its width; a cell for
// categoricals), so every completed trial counts.
Encoded Encode(const SearchSpace& space, const std::vector<service::TrialRow>& rows) {
  Encoded e;
  struct Axis {
    const ParamSpec* spec;
    double low, high, inactive;
  };
  std::vector<Axis> axes;
  for (const auto& p : space.params()) {
    Axis a{&p, 0, 1, 0};
    if (p.type == ParamType::kCategorical) {
      a.low = 0;
      a.high = static_cast<double>(std::max<std::size_t>(1, p.choices.size()));
      if (p.when) a.low = -1;
      a.inactive = -0.5;
    } else {
      a.low = p.log ? std::log10(p.low) : p.low;
      a.high = p.log ? std::log10(p.high) : p.high;
      if (!(a.high > a.low)) a.high = a.low + 1;
      const double w = a.high - a.low;
      if (p.when) {
        a.inactive = a.low - w / 20;
        a.low -= w / 10;
      }
    }
    axes.push_back(a);
    e.dims.push_back({p.name, a.low, a.high});
  }
  for (const auto& r : rows) {
    if (r.state != TrialState::kCompleted || !r.value || !std::isfinite(*r.value)) continue;
    const Json params = Json::parse(r.params_json, nullptr, false);
    if (!params.is_object()) continue;
    std::vector<double> row;
    bool ok = true;
    for (const auto& a : axes) {
      const auto it = params.find(a.spec->name);
      if (it == params.end() || it->is_null()) {
        row.push_back(a.inactive);
        continue;
      }
      if (a.spec->type == ParamType::kCategorical) {
        double index = -1;
        for (std::size_t i = 0; i < a.spec->choices.size(); ++i)
          if (ToJson(a.spec->choices[i]) == *it) index = static_cast<double>(i);
        if (index < 0) ok = false;
        row.push_back(index + 0.5);
      } else if (it->is_number()) {
        const double v = it->get<double>();
        if (a.spec->log && !(v > 0)) ok = false;
        row.push_back(a.spec->log ? std::log10(std::max(v, 1e-300)) : v);
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    e.x.push_back(std::move(row));
    e.y.push_back(*r.value);
  }
  return e;
}

}  // namespace

http::Handler GetImportance(service::ExperimentService& experiments, service::TrialFeed& feed) {
  struct Cached {
    std::int64_t seq = -1;
    Json answer;
  };
  auto cache = std::make_shared<std::pair<std::mutex, std::map<std::int64_t, Cached>>>();
  return [&experiments, &feed, cache](const http::Request& request) {
    const std::int64_t id = PathId(request, "id");
    const Experiment experiment = experiments.Get(id);
    const std::int64_t seq = feed.LastSeq(id);
    {
      std::lock_guard<std::mutex> lock(cache->first);
      const auto it = cache->second.find(id);
      if (it != cache->second.end() && it->second.seq == seq)
        return JsonResponse(200, it->second.answer);
    }
    std::vector<service::TrialRow> rows;
    std::int64_t after = 0;
    while (true) {
      auto page = feed.Changes(id, after, kColumnsLimit);
      if (!page.rows.empty()) after = page.rows.back().seq;
      for (auto& r : page.rows) rows.push_back(std::move(r));
      if (!page.more) break;
    }
    const Encoded e = Encode(experiment.spec.space, rows);
    fanova::Options options;
    const auto values = fanova::Importance(e.dims, e.x, e.y, options);
    Json importances = Json::object();
    for (std::size_t i = 0; i < e.dims.size(); ++i) importances[e.dims[i].name] = values[i];
    Json answer = {{"method", "fanova"},
                   {"trials", e.y.size()},
                   {"samples", std::min<std::size_t>(e.y.size(), options.max_samples)},
                   {"trees", options.trees},
                   {"seq", seq},
                   {"importances", std::move(importances)}};
    {
      std::lock_guard<std::mutex> lock(cache->first);
      if (cache->second.size() > 256) cache->second.clear();  // bounded
      cache->second[id] = {seq, answer};
    }
    return JsonResponse(200, answer);
  };
}

}  // namespace krige::web
