// The test functions of suite_bench (minimization, known minima), 2 to 20 dimensions. The
// boxes, not the formulas, are passed to suite_peers.py, which has the same formulas; every box
// whose textbook domain is centred on the optimum is shifted (README: "suite").
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "functions.hpp"

namespace krige::bench {

inline double Hartmann3(const std::vector<double>& x) {
  static const double A[4][3] = {{3, 10, 30}, {0.1, 10, 35}, {3, 10, 30}, {0.1, 10, 35}};
  static const double P[4][3] = {{0.3689, 0.1170, 0.2673},
                                 {0.4699, 0.4387, 0.7470},
                                 {0.1091, 0.8732, 0.5547},
                                 {0.0381, 0.5743, 0.8828}};
  static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  double f = 0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0;
    for (int j = 0; j < 3; ++j) inner += A[i][j] * (x[j] - P[i][j]) * (x[j] - P[i][j]);
    f -= alpha[i] * std::exp(-inner);
  }
  return f;
}

inline double Ackley(const std::vector<double>& x) {
  const double d = static_cast<double>(x.size());
  double s1 = 0, s2 = 0;
  for (double v : x) {
    s1 += v * v;
    s2 += std::cos(2 * M_PI * v);
  }
  return -20 * std::exp(-0.2 * std::sqrt(s1 / d)) - std::exp(s2 / d) + 20 + M_E;
}

inline double Rastrigin(const std::vector<double>& x) {
  double f = 10 * static_cast<double>(x.size());
  for (double v : x) f += v * v - 10 * std::cos(2 * M_PI * v);
  return f;
}

inline double Levy(const std::vector<double>& x) {
  auto w = [&](std::size_t i) { return 1 + (x[i] - 1) / 4; };
  const std::size_t d = x.size();
  double f = std::pow(std::sin(M_PI * w(0)), 2);
  for (std::size_t i = 0; i + 1 < d; ++i)
    f += std::pow(w(i) - 1, 2) * (1 + 10 * std::pow(std::sin(M_PI * w(i) + 1), 2));
  f += std::pow(w(d - 1) - 1, 2) * (1 + std::pow(std::sin(2 * M_PI * w(d - 1)), 2));
  return f;
}

inline double Griewank(const std::vector<double>& x) {
  double s = 0, p = 1;
  for (std::size_t i = 0; i < x.size(); ++i) {
    s += x[i] * x[i] / 4000;
    p *= std::cos(x[i] / std::sqrt(static_cast<double>(i + 1)));
  }
  return 1 + s - p;
}

inline double StyblinskiTang(const std::vector<double>& x) {
  double f = 0;
  for (double v : x) f += v * v * v * v - 16 * v * v + 5 * v;
  return f / 2;
}

inline double Michalewicz(const std::vector<double>& x) {
  double f = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    f -= std::sin(x[i]) * std::pow(std::sin(static_cast<double>(i + 1) * x[i] * x[i] / M_PI), 20);
  return f;
}

struct SuiteFunction {
  TestFunction fn;
  std::string kind;  // what the function tests, for the table
};

inline TestFunction Cube(const std::string& name, std::size_t d, double low, double high,
                         double minimum, double (*f)(const std::vector<double>&)) {
  return {name, std::vector<double>(d, low), std::vector<double>(d, high), minimum, f};
}

// Styblinski-Tang's minimum per dimension, at x_i = -2.903534...
constexpr double kStyblinskiTangMin = -39.16616570377142;

inline std::vector<SuiteFunction> SuiteFunctions() {
  return {
      {{"branin", {-5, 0}, {10, 15}, 0.397887357729739, Branin}, "2-D, 3 global minima"},
      {Cube("hartmann3", 3, 0, 1, -3.86278214782076, Hartmann3), "3-D, 4 local minima"},
      {Cube("hartmann6", 6, 0, 1, -3.32236801141551, Hartmann6), "6-D, 6 local minima"},
      {Cube("rosenbrock4", 4, -2, 8, 0, Rosenbrock), "4-D valley, optimum 0.4 half-range off"},
      {Cube("rosenbrock8", 8, -2, 8, 0, Rosenbrock), "8-D valley, optimum 0.4 half-range off"},
      {Cube("ackley8", 8, -10, 30, 0, Ackley), "8-D multimodal, optimum 0.5 half-range off"},
      {Cube("ackley20", 20, -10, 30, 0, Ackley), "20-D multimodal, optimum 0.5 half-range off"},
      {Cube("rastrigin8", 8, -3, 7, 0, Rastrigin), "8-D separable multimodal, 0.4 off"},
      {Cube("levy10", 10, -5, 15, 0, Levy), "10-D multimodal, optimum 0.4 half-range off"},
      {Cube("griewank10", 10, -300, 600, 0, Griewank), "10-D multimodal, 1/3 half-range off"},
      {Cube("styblinski_tang10", 10, -5, 5, 10 * kStyblinskiTangMin, StyblinskiTang),
       "10-D separable multimodal, optimum 0.58 half-range off"},
      {Cube("michalewicz10", 10, 0, M_PI, -9.66015171564135, Michalewicz),
       "10-D separable, steep ridges"},
  };
}

}  // namespace krige::bench
