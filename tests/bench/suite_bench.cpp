// suite_bench: search quality on a suite of standard test functions (2 to 20 dimensions,
// boxes not centred on the optimum): median simple regret per (function, budget, tuner) for
// krige's tuners, run in-process, and for Optuna's samplers and the scikit-learn GP-EI
// reference (suite_peers.py, Debian's /usr/bin/python3) in the same run. Prints the table and
// writes <name>.json with the goals of issue 14. See tests/bench/README.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hpp"
#include "krige/codec.hpp"
#include "krige/tuners/tuner.hpp"
#include "suite_functions.hpp"

namespace krige::bench {
namespace {

const std::vector<int> kBudgets = {25, 50, 100, 200};

// krige's tuners, then the peers, in the table's column order.
const std::vector<std::string> kKrigeTuners = {"gp", "auto", "tpe", "cmaes", "sobol", "random"};
const std::vector<std::string> kPeers = {"optuna_tpe", "optuna_tpe_multivariate", "optuna_cmaes",
                                         "optuna_qmc", "optuna_random",           "sklearn_gp_ei"};

struct Args {
  bool quick = false;
  int seeds = 20;
  int threads = 2;
  bool peers = true;
  int max_budget = 200;
  int sklearn_seeds = 5;      // the reference costs ~0.5 s a suggestion in 10-D
  int sklearn_budget = 100;   // so it runs fewer seeds and a smaller budget
  int sklearn_max_dims = 20;  // and, with --quick, only the functions of at most 6 dimensions
  std::string name = "suite";
  std::string python = "/usr/bin/python3";
  std::string functions;  // --functions a,b: a subset
  std::string tuners;     // --tuners a,b: a subset of krige's tuners and the peers
  // --pending 0,4,8: krige's tuners also run with N trials pending (0 = sequential, always run)
  std::vector<int> pending = {0};
  std::map<std::string, double> options;  // --option name=value: for every krige tuner
};

bool Selected(const std::string& list, const std::string& item) {
  return list.empty() || ("," + list + ",").find("," + item + ",") != std::string::npos;
}

SearchSpace Box(const std::vector<double>& low, const std::vector<double>& high) {
  std::vector<ParamSpec> ps;
  for (std::size_t i = 0; i < low.size(); ++i) {
    ParamSpec p;
    p.name = "x" + std::to_string(i);
    p.low = low[i];
    p.high = high[i];
    ps.push_back(p);
  }
  return SearchSpace(ps);
}

std::vector<int> Budgets(int max_budget) {
  std::vector<int> out;
  for (int b : kBudgets)
    if (b <= max_budget) out.push_back(b);
  return out;
}

// Regret (best found - minimum, never below 0) after each budget. pending = 0: one trial at a
// time. pending = N: as the scheduler with parallelism N + 1, N + 1 trials are out at once; the
// oldest completes first, then the next suggestion is asked with the other N still pending.
std::vector<double> RunKrige(const TestFunction& fn, const std::string& tuner_name,
                             std::uint64_t seed, const std::vector<int>& budgets, int pending,
                             const std::map<std::string, double>& options) {
  tuners::TunerContext c;
  c.space = Box(fn.low, fn.high);
  c.goal = Goal::kMinimize;
  c.seed = seed;
  c.options = options;
  const auto tuner = tuners::DefaultRegistry().Create(tuner_name, c);
  tuners::History h;
  double best = 1e300;
  std::vector<double> regrets;
  std::vector<double> x(fn.low.size());
  std::deque<Params> out;  // suggested, not yet evaluated, oldest first
  const auto budget = static_cast<std::size_t>(budgets.back());
  while (h.completed.size() < budget) {
    while (out.size() < static_cast<std::size_t>(pending) + 1 &&
           h.completed.size() + out.size() < budget) {
      h.pending.assign(out.begin(), out.end());
      const auto s = tuner->Suggest(h, 1);
      if (s.empty()) break;
      out.push_back(s[0].params);
    }
    if (out.empty()) break;
    const Params params = std::move(out.front());
    out.pop_front();
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = AsDouble(params.at("x" + std::to_string(i)));
    const double v = fn.f(x);
    h.completed.push_back({params, v});
    best = std::min(best, v);
    if (std::find(budgets.begin(), budgets.end(), static_cast<int>(h.completed.size())) !=
        budgets.end())
      regrets.push_back(std::max(0.0, best - fn.minimum));
  }
  return regrets;
}

std::string Capture(const std::string& command) {
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buf[4096];
    for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    pclose(pipe);
  }
  return out;
}

std::string Numbers(const std::vector<double>& v) {
  std::string out;
  char buf[32];
  for (double x : v) {
    std::snprintf(buf, sizeof buf, " %.17g", x);
    out += buf;
  }
  return out;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

struct Cell {
  double median = std::nan(""), q25 = std::nan(""), q75 = std::nan("");
  std::size_t seeds = 0;
};

int Main(const Args& args) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<int> budgets = Budgets(args.max_budget);
  std::vector<SuiteFunction> functions;
  for (auto& f : SuiteFunctions())
    if (Selected(args.functions, f.fn.name)) functions.push_back(f);
  const auto registry = tuners::DefaultRegistry().Names();
  std::vector<std::string> krige_tuners;
  for (const auto& t : kKrigeTuners)
    if (Selected(args.tuners, t) &&
        std::find(registry.begin(), registry.end(), t) != registry.end())
      krige_tuners.push_back(t);
  std::vector<std::string> peers;
  for (const auto& p : kPeers)
    if (args.peers && Selected(args.tuners, p)) peers.push_back(p);

  // One job per (function, krige tuner, seed) and per (function, peer) for all its seeds; the
  // slow ones (Python peers, model-based tuners in many dimensions) first, so that both
  // threads stay busy to the end.
  struct Job {
    std::size_t function;
    std::string tuner;
    int seed;  // krige: the seed; peers: -1 (all seeds in one process)
    double cost;
    int pending = 0;
  };
  std::vector<Job> jobs;
  for (std::size_t f = 0; f < functions.size(); ++f) {
    const double d = static_cast<double>(functions[f].fn.low.size());
    for (const auto& p : peers) {
      if (p == "sklearn_gp_ei" && d > args.sklearn_max_dims) continue;
      const double cost = p == "sklearn_gp_ei"            ? 40.0 * d * args.sklearn_seeds
                          : p.rfind("optuna_tpe", 0) == 0 ? 0.5 * d * args.seeds
                                                          : 0.05 * args.seeds;
      jobs.push_back({f, p, -1, cost});
    }
    for (const auto& t : krige_tuners)
      for (int pending : args.pending)
        for (int s = 1; s <= args.seeds; ++s)
          jobs.push_back({f, t, s, (t == "gp" || t == "auto") ? 0.5 * d : 0.05 * d, pending});
  }
  std::stable_sort(jobs.begin(), jobs.end(),
                   [](const Job& a, const Job& b) { return a.cost > b.cost; });

  // runs[function][tuner][seed] = regret at each budget; pending_runs[N][function][tuner][seed]
  // the same with N pending (N > 0), kept apart so that the other goals see sequential runs only
  std::map<std::string, std::map<std::string, std::vector<std::vector<double>>>> runs;
  std::map<int, decltype(runs)> pending_runs;
  std::map<std::string, double> tuner_seconds;  // summed over jobs (CPU-ish: one thread each)
  std::mutex mu;
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, args.threads); ++t)
    pool.emplace_back([&] {
      for (std::size_t j; (j = next++) < jobs.size();) {
        const Job& job = jobs[j];
        const TestFunction& fn = functions[job.function].fn;
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::vector<double>> result;
        if (job.seed >= 0) {
          result.push_back(RunKrige(fn, job.tuner, static_cast<std::uint64_t>(job.seed), budgets,
                                    job.pending, args.options));
        } else {
          const bool sk = job.tuner == "sklearn_gp_ei";
          std::vector<int> peer_budgets;
          for (int b : budgets)
            if (!sk || b <= args.sklearn_budget) peer_budgets.push_back(b);
          std::string seeds, bs;
          for (int s = 1; s <= (sk ? std::min(args.sklearn_seeds, args.seeds) : args.seeds); ++s)
            seeds += " " + std::to_string(s);
          for (int b : peer_budgets) bs += " " + std::to_string(b);
          // One BLAS thread per peer: the jobs already fill the cores.
          const std::string command = "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 " + args.python +
                                      " " KRIGE_BENCH_DIR "/suite_peers.py" + " --function " +
                                      fn.name + " --low" + Numbers(fn.low) + " --high" +
                                      Numbers(fn.high) + " --minimum" + Numbers({fn.minimum}) +
                                      " --sampler " + job.tuner + " --seeds" + seeds +
                                      " --budgets" + bs;
          const std::string out = Capture(command);
          try {
            result = Json::parse(out).at("runs").get<std::vector<std::vector<double>>>();
          } catch (const std::exception& e) {
            std::lock_guard<std::mutex> lock(mu);
            std::cerr << "peer failed (" << e.what() << "): " << command << "\n"
                      << out.substr(0, 300) << "\n";
          }
        }
        const double seconds = Seconds(t0);
        std::lock_guard<std::mutex> lock(mu);
        auto& r = (job.pending > 0 ? pending_runs[job.pending] : runs)[fn.name][job.tuner];
        r.insert(r.end(), result.begin(), result.end());
        const std::string label =
            job.tuner + (job.pending > 0 ? "/p" + std::to_string(job.pending) : "");
        tuner_seconds[label] += seconds;
        if (job.seed < 0 || job.seed == args.seeds)
          std::cerr << "[" << static_cast<int>(Seconds(start)) << " s] " << fn.name << " " << label
                    << (job.seed < 0 ? " (all seeds)" : " (last seed)") << ": "
                    << static_cast<int>(seconds) << " s\n";
      }
    });
  for (auto& t : pool) t.join();

  // ---- Medians ---------------------------------------------------------------------------
  std::vector<std::string> columns = krige_tuners;
  columns.insert(columns.end(), peers.begin(), peers.end());
  std::map<std::string, std::map<int, std::map<std::string, Cell>>> cells;  // fn, budget, tuner
  Json quality = Json::array();
  for (const auto& sf : functions)
    for (std::size_t b = 0; b < budgets.size(); ++b)
      for (const auto& t : columns) {
        std::vector<double> v;
        for (const auto& r : runs[sf.fn.name][t])
          if (b < r.size()) v.push_back(r[b]);
        if (v.empty()) continue;
        Cell c{Quantile(v, 0.5), Quantile(v, 0.25), Quantile(v, 0.75), v.size()};
        cells[sf.fn.name][budgets[b]][t] = c;
        quality.push_back({{"function", sf.fn.name},
                           {"dimensions", sf.fn.low.size()},
                           {"budget", budgets[b]},
                           {"tuner", t},
                           {"median_regret", c.median},
                           {"q25", c.q25},
                           {"q75", c.q75},
                           {"seeds", c.seeds}});
      }

  // ---- Goals -----------------------------------------------------------------------------
  const std::set<std::string> ours = {"gp", "auto"};
  auto best_of = [](const std::map<std::string, Cell>& row, const std::set<std::string>& in,
                    bool inside) {
    std::string who;
    double m = std::nan("");
    for (const auto& [t, c] : row)
      if (in.count(t) == static_cast<std::size_t>(inside) && !(c.median >= m)) {
        m = c.median;
        who = t;
      }
    return std::make_pair(who, m);
  };
  int lowest = 0, lowest_cells = 0, below_tpe = 0, tpe_cells = 0, auto_ok = 0, auto_cells = 0;
  Json missed_lowest = Json::array(), missed_tpe = Json::array(), missed_auto = Json::array();
  for (const auto& sf : functions)
    for (int b : budgets) {
      const auto& row = cells[sf.fn.name][b];
      const auto [us, our] = best_of(row, ours, true);
      const auto [them, their] = best_of(row, ours, false);
      const std::string where = sf.fn.name + "@" + std::to_string(b);
      if (b >= 50 && !us.empty() && !them.empty()) {
        ++lowest_cells;
        if (our <= their)
          ++lowest;
        else
          missed_lowest.push_back(where + ": " + them + " " + std::to_string(their) + " < " + us +
                                  " " + std::to_string(our));
      }
      const std::set<std::string> tpes = {"optuna_tpe", "optuna_tpe_multivariate"};
      const auto [tpe_who, tpe] = best_of(row, tpes, true);
      if (b >= 100 && !us.empty() && !tpe_who.empty()) {
        ++tpe_cells;
        if (our < tpe)
          ++below_tpe;
        else
          missed_tpe.push_back(where + ": " + tpe_who + " " + std::to_string(tpe) + " <= " + us +
                               " " + std::to_string(our));
      }
      // auto against the best single other tuner, allowing for that tuner's upper quartile.
      if (row.count("auto")) {
        const auto [best_who, best] = best_of(row, {"auto"}, false);
        if (!best_who.empty()) {
          ++auto_cells;
          const double bound = row.at(best_who).q75;
          if (row.at("auto").median <= bound)
            ++auto_ok;
          else
            missed_auto.push_back(where + ": auto " + std::to_string(row.at("auto").median) +
                                  " > " + best_who + " q75 " + std::to_string(bound));
        }
      }
    }
  // With N pending: each tuner's median against its own sequential median, same function and
  // budget (peers stay sequential: they are the reference of the other goals, not of this one).
  Json batch = Json::array();
  std::map<std::string, std::map<int, std::map<std::string, std::map<int, double>>>> batch_cells;
  for (const auto& [pending, by_fn] : pending_runs)
    for (const auto& sf : functions)
      for (std::size_t b = 0; b < budgets.size(); ++b)
        for (const auto& t : krige_tuners) {
          const auto fit = by_fn.find(sf.fn.name);
          if (fit == by_fn.end() || !fit->second.count(t)) continue;
          std::vector<double> v;
          for (const auto& r : fit->second.at(t))
            if (b < r.size()) v.push_back(r[b]);
          if (v.empty()) continue;
          Cell c{Quantile(v, 0.5), Quantile(v, 0.25), Quantile(v, 0.75), v.size()};
          batch_cells[sf.fn.name][budgets[b]][t][pending] = c.median;
          const auto& seq = cells[sf.fn.name][budgets[b]];
          const double sequential = seq.count(t) ? seq.at(t).median : std::nan("");
          batch.push_back({{"function", sf.fn.name},
                           {"dimensions", sf.fn.low.size()},
                           {"budget", budgets[b]},
                           {"tuner", t},
                           {"pending", pending},
                           {"median_regret", c.median},
                           {"q25", c.q25},
                           {"q75", c.q75},
                           {"seeds", c.seeds},
                           {"sequential_median_regret", sequential},
                           {"ratio", c.median / sequential}});
        }
  Json goals = Json::array();
  for (const auto& [pending, by_fn] : pending_runs) {
    if (std::find(budgets.begin(), budgets.end(), 100) == budgets.end()) break;
    int ok = 0, n = 0;
    Json missed = Json::array();
    for (const auto& sf : functions)
      for (const std::string t : {"gp", "auto"}) {
        const auto& row = batch_cells[sf.fn.name][100];
        const auto& seq = cells[sf.fn.name][100];
        if (!row.count(t) || !row.at(t).count(pending) || !seq.count(t)) continue;
        ++n;
        const double with = row.at(t).at(pending), without = seq.at(t).median;
        if (with <= 1.5 * without)
          ++ok;
        else {
          char buf[96];
          std::snprintf(buf, sizeof buf, "%.3g > 1.5 x %.3g", with, without);
          missed.push_back(sf.fn.name + "@100 " + t + ": " + buf);
        }
      }
    if (n == 0) continue;
    goals.push_back({{"name", "gp and auto with " + std::to_string(pending) +
                                  " pending: median regret at 100 within 1.5x of sequential on "
                                  "every function"},
                     {"target", 1.0},
                     {"value", static_cast<double>(ok) / n},
                     {"cells", n},
                     {"missed", missed},
                     {"met", ok == n}});
  }
  auto fraction = [](int a, int n) { return n ? static_cast<double>(a) / n : 0.0; };
  goals.push_back({{"name", "gp or auto lowest median regret in >= 80% of cells with budget >= 50"},
                   {"target", 0.8},
                   {"value", fraction(lowest, lowest_cells)},
                   {"cells", lowest_cells},
                   {"missed", missed_lowest},
                   {"met", lowest_cells > 0 && fraction(lowest, lowest_cells) >= 0.8}});
  goals.push_back(
      {{"name",
        "gp or auto below Optuna TPE (univariate and multivariate) in every cell at 100 "
        "and 200"},
       {"target", 1.0},
       {"value", fraction(below_tpe, tpe_cells)},
       {"cells", tpe_cells},
       {"missed", missed_tpe},
       {"met", tpe_cells > 0 && below_tpe == tpe_cells}});
  if (auto_cells > 0)
    goals.push_back(
        {{"name", "auto's median within the best other tuner's upper quartile in every cell"},
         {"target", 1.0},
         {"value", fraction(auto_ok, auto_cells)},
         {"cells", auto_cells},
         {"missed", missed_auto},
         {"met", auto_ok == auto_cells}});

  // ---- Print -----------------------------------------------------------------------------
  std::printf(
      "\nMedian simple regret over %d seeds (sklearn_gp_ei: %d seeds, budgets <= %d, <= %d "
      "dimensions); * = lowest in the row\n",
      args.seeds, std::min(args.sklearn_seeds, args.seeds), args.sklearn_budget,
      args.sklearn_max_dims);
  std::printf("%-18s %6s", "function", "budget");
  auto shortname = [](std::string t) {
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"optuna_tpe_multivariate", "o_mtpe"}, {"optuna_", "o_"}, {"sklearn_gp_ei", "sk_gp"}})
      if (t.rfind(from, 0) == 0) t = to + t.substr(from.size());
    return t;
  };
  for (const auto& t : columns) std::printf(" %9s", shortname(t).c_str());
  std::printf("\n");
  for (const auto& sf : functions)
    for (int b : budgets) {
      const auto& row = cells[sf.fn.name][b];
      const auto [who, m] = best_of(row, {}, false);
      std::printf("%-18s %6d", sf.fn.name.c_str(), b);
      for (const auto& t : columns) {
        if (!row.count(t)) {
          std::printf(" %9s", "-");
          continue;
        }
        char cell[32];
        std::snprintf(cell, sizeof cell, "%.2e%s", row.at(t).median, t == who ? "*" : " ");
        std::printf(" %9s", cell);
      }
      std::printf("\n");
    }
  if (!pending_runs.empty()) {
    std::printf("\nMedian simple regret with N pending (ratio to sequential)\n%-18s %6s %7s %9s",
                "function", "budget", "tuner", "seq");
    for (const auto& [pending, unused] : pending_runs)
      std::printf("   %6s%-3d %6s", "p", pending, "x");
    std::printf("\n");
    for (const auto& sf : functions)
      for (int b : budgets)
        for (const auto& t : krige_tuners) {
          const auto& row = batch_cells[sf.fn.name][b];
          if (!row.count(t) || !cells[sf.fn.name][b].count(t)) continue;
          const double seq = cells[sf.fn.name][b].at(t).median;
          std::printf("%-18s %6d %7s %9.2e", sf.fn.name.c_str(), b, t.c_str(), seq);
          for (const auto& [pending, unused] : pending_runs) {
            const auto it = row.at(t).find(pending);
            if (it == row.at(t).end())
              std::printf("   %9s %6s", "-", "-");
            else
              std::printf("   %9.2e %6.2f", it->second, it->second / seq);
          }
          std::printf("\n");
        }
  }
  std::printf("\nseconds per tuner (summed over its jobs):");
  for (const auto& [t, s] : tuner_seconds) std::printf(" %s %.0f", t.c_str(), s);
  std::printf("\n");
  for (const auto& g : goals)
    for (const auto& m : g["missed"])
      std::printf("  missed (%s): %s\n", g["name"].get<std::string>().substr(0, 24).c_str(),
                  m.get<std::string>().c_str());

  Json out;
  out["mode"] = args.quick ? "quick" : "full";
  out["seeds"] = args.seeds;
  out["sklearn_seeds"] = std::min(args.sklearn_seeds, args.seeds);
  out["sklearn_budget"] = args.sklearn_budget;
  out["sklearn_max_dims"] = args.sklearn_max_dims;
  out["budgets"] = budgets;
  Json fns = Json::array();
  for (const auto& sf : functions)
    fns.push_back({{"name", sf.fn.name},
                   {"dimensions", sf.fn.low.size()},
                   {"low", sf.fn.low},
                   {"high", sf.fn.high},
                   {"minimum", sf.fn.minimum},
                   {"kind", sf.kind}});
  out["functions"] = fns;
  out["quality"] = quality;
  out["pending"] = args.pending;
  if (!batch.empty()) out["batch_quality"] = batch;
  if (!args.options.empty()) out["options"] = args.options;
  out["tuner_seconds"] = tuner_seconds;
  out["total_seconds"] = Seconds(start);
  WriteGoals(out, goals, args.name);
  std::printf("\nwrote %s.json (%.0f s)\n", args.name.c_str(), Seconds(start));
  return 0;
}

}  // namespace
}  // namespace krige::bench

int main(int argc, char** argv) {
  krige::bench::Args args;
  bool seeds_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto number = [&] { return std::stoi(argv[++i]); };
    if (a == "--quick") {
      args.quick = true;
    } else if (a == "--seeds" && i + 1 < argc) {
      args.seeds = number();
      seeds_given = true;
    } else if (a == "--threads" && i + 1 < argc) {
      args.threads = number();
    } else if (a == "--max-budget" && i + 1 < argc) {
      args.max_budget = number();
    } else if (a == "--sklearn-seeds" && i + 1 < argc) {
      args.sklearn_seeds = number();
    } else if (a == "--sklearn-max-dims" && i + 1 < argc) {
      args.sklearn_max_dims = number();
    } else if (a == "--sklearn-budget" && i + 1 < argc) {
      args.sklearn_budget = number();
    } else if (a == "--functions" && i + 1 < argc) {
      args.functions = argv[++i];
    } else if (a == "--tuners" && i + 1 < argc) {
      args.tuners = argv[++i];
    } else if (a == "--pending" && i + 1 < argc) {
      args.pending = {0};
      for (const std::string& item : krige::bench::SplitCommas(argv[++i])) {
        const int n = std::stoi(item);
        if (n < 0 || n > 64) {
          std::cerr << "--pending: each N must be in 0..64\n";
          return 2;
        }
        if (std::find(args.pending.begin(), args.pending.end(), n) == args.pending.end())
          args.pending.push_back(n);
      }
    } else if (a == "--option" && i + 1 < argc) {
      const std::string kv = argv[++i];
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "--option: expected name=value\n";
        return 2;
      }
      args.options[kv.substr(0, eq)] = std::stod(kv.substr(eq + 1));
    } else if (a == "--no-peers") {
      args.peers = false;
    } else if (a == "--name" && i + 1 < argc) {
      args.name = argv[++i];
    } else {
      std::cerr << "usage: suite_bench [--quick] [--seeds N] [--threads N] [--max-budget N] "
                   "[--sklearn-seeds N] [--sklearn-budget N] [--sklearn-max-dims D] [--functions "
                   "A,B] [--tuners A,B] "
                   "[--no-peers] [--pending 0,4,8] [--option NAME=VALUE] [--name NAME]\n";
      return 2;
    }
  }
  if (args.quick) {  // the same goals, on fewer seeds and up to 100 evaluations
    if (!seeds_given) args.seeds = 5;
    args.max_budget = std::min(args.max_budget, 100);
    args.sklearn_seeds = std::min(args.sklearn_seeds, 1);
    args.sklearn_budget = std::min(args.sklearn_budget, 50);
    args.sklearn_max_dims = std::min(args.sklearn_max_dims, 6);
  }
  if (args.seeds < 1 || args.seeds > 1000 || args.max_budget < 25 || args.max_budget > 200) {
    std::cerr << "--seeds must be in 1..1000 and --max-budget in 25..200\n";
    return 2;
  }
  return krige::bench::Main(args);
}
