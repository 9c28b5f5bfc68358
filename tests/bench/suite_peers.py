#!/usr/bin/python3
"""Python peers for tests/bench/suite_bench: Optuna samplers and the scikit-learn GP-EI reference
of peers.py, on the suite's test functions (same formulas as suite_functions.hpp; the box and
the minimum come from the command line, so there is one definition of each box).

Run with Debian's /usr/bin/python3 (python3-optuna, python3-sklearn). Prints JSON on stdout:
{"runs": [[regret at each budget] per seed], "seconds": wall time}.
  suite_peers.py --function ackley --low -10 ... --high 30 ... --minimum 0 \
      --sampler optuna_tpe --seeds 1 2 3 --budgets 25 50 100 200
"""
import argparse
import json
import math
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import branin, hartmann6, rosenbrock, sklearn_gp_ei_suggest  # noqa: E402

warnings.filterwarnings("ignore")

A3 = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]]
P3 = [[0.3689, 0.1170, 0.2673], [0.4699, 0.4387, 0.7470],
      [0.1091, 0.8732, 0.5547], [0.0381, 0.5743, 0.8828]]
ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann3(x):
    return -sum(ALPHA[i] * math.exp(-sum(A3[i][j] * (x[j] - P3[i][j]) ** 2 for j in range(3)))
                for i in range(4))


def ackley(x):
    d = len(x)
    s1 = sum(v * v for v in x) / d
    s2 = sum(math.cos(2 * math.pi * v) for v in x) / d
    return -20 * math.exp(-0.2 * math.sqrt(s1)) - math.exp(s2) + 20 + math.e


def rastrigin(x):
    return 10 * len(x) + sum(v * v - 10 * math.cos(2 * math.pi * v) for v in x)


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    f = math.sin(math.pi * w[0]) ** 2
    for i in range(len(x) - 1):
        f += (w[i] - 1) ** 2 * (1 + 10 * math.sin(math.pi * w[i] + 1) ** 2)
    return f + (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)


def griewank(x):
    s = sum(v * v / 4000 for v in x)
    p = 1.0
    for i, v in enumerate(x):
        p *= math.cos(v / math.sqrt(i + 1))
    return 1 + s - p


def styblinski_tang(x):
    return sum(v ** 4 - 16 * v * v + 5 * v for v in x) / 2


def michalewicz(x):
    return -sum(math.sin(v) * math.sin((i + 1) * v * v / math.pi) ** 20 for i, v in enumerate(x))


# Suite names -> formula (the number of dimensions comes from the box).
FORMULAS = {"branin": branin, "hartmann3": hartmann3, "hartmann6": hartmann6,
            "rosenbrock": rosenbrock, "ackley": ackley, "rastrigin": rastrigin, "levy": levy,
            "griewank": griewank, "styblinski_tang": styblinski_tang, "michalewicz": michalewicz}


def formula(name):
    if name in FORMULAS:
        return FORMULAS[name]
    return FORMULAS[name.rstrip("0123456789")]


def optuna_values(sampler_name, f, low, high, seed, budget):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    samplers = {
        "optuna_tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "optuna_tpe_multivariate": lambda: optuna.samplers.TPESampler(seed=seed,
                                                                      multivariate=True),
        "optuna_cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed),
        # Scrambled: unscrambled Sobol ignores the seed (every seed the same run) and its
        # dyadic points hit the integer lattice of Rastrigin's local minima exactly.
        "optuna_qmc": lambda: optuna.samplers.QMCSampler(seed=seed, scramble=True),
        "optuna_random": lambda: optuna.samplers.RandomSampler(seed=seed),
    }
    study = optuna.create_study(sampler=samplers[sampler_name](), direction="minimize")
    study.optimize(lambda t: f([t.suggest_float(f"x{i}", low[i], high[i])
                                for i in range(len(low))]), n_trials=budget)
    return [t.value for t in study.trials]


def sklearn_values(f, low, high, seed, budget):
    """scikit-learn GP-EI (peers.py's suggestion step) after a 5-point uniform start."""
    rng = np.random.default_rng(seed)
    lo, hi = np.array(low), np.array(high)
    X = []
    y = []
    for k in range(budget):
        if k < 5:
            u = rng.uniform(size=len(low))
        else:
            u = sklearn_gp_ei_suggest(np.array(X), np.array(y), rng)
        X.append(u)
        y.append(f(list(lo + u * (hi - lo))))
    return y


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--function", required=True)
    parser.add_argument("--low", type=float, nargs="+", required=True)
    parser.add_argument("--high", type=float, nargs="+", required=True)
    parser.add_argument("--minimum", type=float, required=True)
    parser.add_argument("--sampler", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--budgets", type=int, nargs="+", required=True)
    args = parser.parse_args()
    f = formula(args.function)
    start = time.perf_counter()
    runs = []
    for seed in args.seeds:
        budget = max(args.budgets)
        if args.sampler == "sklearn_gp_ei":
            values = sklearn_values(f, args.low, args.high, seed, budget)
        else:
            values = optuna_values(args.sampler, f, args.low, args.high, seed, budget)
        runs.append([max(0.0, min(values[:b]) - args.minimum) for b in args.budgets])
    json.dump({"runs": runs, "seconds": time.perf_counter() - start}, sys.stdout)


if __name__ == "__main__":
    main()
