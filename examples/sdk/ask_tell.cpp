// The in-process tuners (Krige::tuners): gp minimises the Branin function in an ask/tell loop
// with no server. Prints "best <value> x=<x> y=<y>".
#include <cmath>
#include <iomanip>
#include <iostream>

#include "krige/tuners/tuner.hpp"

int main() {
  const double pi = std::acos(-1.0);
  auto branin = [pi](double x, double y) {
    const double u = y - 5.1 / (4 * pi * pi) * x * x + 5 / pi * x - 6;
    return u * u + 10 * (1 - 1 / (8 * pi)) * std::cos(x) + 10;
  };
  krige::tuners::TunerContext context;
  context.space = krige::SearchSpace().Float("x", -5, 10).Float("y", 0, 15);
  context.goal = krige::Goal::kMinimize;
  context.seed = 1;
  const auto gp = krige::tuners::DefaultRegistry().Create("gp", context);

  krige::tuners::History history;
  for (int i = 0; i < 20; ++i) {
    const krige::Params params = gp->Suggest(history, 1).at(0).params;  // ask
    const double value = branin(krige::AsDouble(params.at("x")), krige::AsDouble(params.at("y")));
    history.completed.push_back({params, value});  // tell
  }
  const krige::tuners::Observation* best = &history.completed.front();
  for (const auto& o : history.completed)
    if (o.value < best->value) best = &o;
  std::cout << std::setprecision(17) << "best " << best->value
            << " x=" << krige::AsDouble(best->params.at("x"))
            << " y=" << krige::AsDouble(best->params.at("y")) << "\n";
}
