// Standard test functions for the tuner benchmarks (minimization, known minima). The same
// definitions are in peers.py for the Python peers.
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace krige::bench {

struct TestFunction {
  std::string name;
  std::vector<double> low, high;
  double minimum;
  double (*f)(const std::vector<double>&);
};

inline double Branin(const std::vector<double>& x) {
  const double a = 1, b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, r = 6, s = 10, t = 1 / (8 * M_PI);
  const double u = x[1] - b * x[0] * x[0] + c * x[0] - r;
  return a * u * u + s * (1 - t) * std::cos(x[0]) + s;
}

inline double Hartmann6(const std::vector<double>& x) {
  static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                 {0.05, 10, 17, 0.1, 8, 14},
                                 {3, 3.5, 1.7, 10, 17, 8},
                                 {17, 8, 0.05, 10, 0.1, 14}};
  static const double P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                 {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                 {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                 {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  double f = 0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0;
    for (int j = 0; j < 6; ++j) inner += A[i][j] * (x[j] - P[i][j]) * (x[j] - P[i][j]);
    f -= alpha[i] * std::exp(-inner);
  }
  return f;
}

inline double Rosenbrock(const std::vector<double>& x) {
  double f = 0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i)
    f += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1 - x[i], 2);
  return f;
}

inline std::vector<TestFunction> Functions() {
  return {
      {"branin", {-5, 0}, {10, 15}, 0.397887357729739, Branin},
      {"hartmann6", std::vector<double>(6, 0.0), std::vector<double>(6, 1.0), -3.32236801141551,
       Hartmann6},
      {"rosenbrock4", std::vector<double>(4, -5.0), std::vector<double>(4, 10.0), 0.0, Rosenbrock}};
}

// The latency problem: a smooth 10-D function on [0,1]^10.
inline double Latency10(const std::vector<double>& x) {
  double f = 0;
  for (std::size_t i = 0; i < x.size(); ++i) f += std::sin(3 * x[i]) + (x[i] - 0.5) * (x[i] - 0.5);
  return f;
}

}  // namespace krige::bench
