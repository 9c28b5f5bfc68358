#!/usr/bin/python3
"""Python peers for tests/bench/tuners_bench: Optuna samplers and a scikit-learn GP-EI.

Run with Debian's /usr/bin/python3 (python3-optuna, python3-sklearn). Prints JSON on stdout.
  peers.py quality --seeds 20 --budget 100
  peers.py latency --n 100 300 1000 --reps 3 2 1 --d 10
"""
import argparse
import json
import math
import sys
import time

import warnings

import numpy as np

warnings.filterwarnings("ignore")


def branin(x):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    u = x[1] - b * x[0] ** 2 + c * x[0] - 6
    return u * u + 10 * (1 - t) * math.cos(x[0]) + 10


A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
     [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
     [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
     [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
     [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6)))
                for i in range(4))


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


FUNCTIONS = {
    "branin": ([-5, 0], [10, 15], 0.397887357729739, branin),
    "hartmann6": ([0] * 6, [1] * 6, -3.32236801141551, hartmann6),
    "rosenbrock4": ([-5] * 4, [10] * 4, 0.0, rosenbrock),
}


def latency10(x):
    return float(np.sum(np.sin(3 * x) + (x - 0.5) ** 2))


def quality(args):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    budgets = [25, 50, 100]
    out = {}
    for name, (low, high, fmin, f) in FUNCTIONS.items():
        for sampler_name in ("tpe", "random"):
            runs = []
            for seed in range(args.seeds):
                sampler = (optuna.samplers.TPESampler(seed=seed) if sampler_name == "tpe"
                           else optuna.samplers.RandomSampler(seed=seed))
                study = optuna.create_study(sampler=sampler, direction="minimize")
                study.optimize(lambda t: f([t.suggest_float(f"x{i}", low[i], high[i])
                                            for i in range(len(low))]), n_trials=args.budget)
                values = [t.value for t in study.trials]
                runs.append([min(values[:b]) - fmin for b in budgets if b <= len(values)])
            out[f"{name}/optuna_{sampler_name}"] = runs
    json.dump({"budgets": budgets, "runs": out}, sys.stdout)


def sklearn_gp_ei_suggest(X, y, rng):
    from scipy.optimize import minimize
    from scipy.stats import norm
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
    d = X.shape[1]
    kernel = (ConstantKernel(1.0, (1e-2, 1e2)) *
              Matern(length_scale=np.ones(d), length_scale_bounds=(5e-3, 50.0), nu=2.5) +
              WhiteKernel(1e-4, (1e-8, 1.0)))
    gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=2,
                                  random_state=rng.integers(1 << 31))
    gp.fit(X, y)
    best = y.min()

    def ei(Z):
        mu, sd = gp.predict(np.atleast_2d(Z), return_std=True)
        sd = np.maximum(sd, 1e-12)
        z = (best - mu) / sd
        return (best - mu) * norm.cdf(z) + sd * norm.pdf(z)

    cands = rng.uniform(size=(1000, d))
    scores = ei(cands)
    best_x, best_ei = cands[np.argmax(scores)], scores.max()
    for x0 in cands[np.argsort(scores)[-5:]]:
        res = minimize(lambda x: -ei(x)[0], x0, bounds=[(0.0, 1.0)] * d, method="L-BFGS-B")
        if -res.fun > best_ei:
            best_x, best_ei = res.x, -res.fun
    return best_x


def latency(args):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    d = args.d
    out = {"sklearn_gp_ei": {}, "optuna_tpe": {}}
    for n, reps in zip(args.n, args.reps):
        sk, tpe = [], []
        for rep in range(reps):
            rng = np.random.default_rng(1000 * n + rep)
            X = rng.uniform(size=(n, d))
            y = np.array([latency10(x) for x in X])
            t0 = time.perf_counter()
            sklearn_gp_ei_suggest(X, y, rng)
            sk.append(1000 * (time.perf_counter() - t0))
            dists = {f"x{i}": optuna.distributions.FloatDistribution(0.0, 1.0) for i in range(d)}
            study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=rep))
            study.add_trials([optuna.trial.create_trial(
                params={f"x{i}": float(x[i]) for i in range(d)}, distributions=dists, value=float(v))
                for x, v in zip(X, y)])
            t0 = time.perf_counter()
            study.ask(dists)
            tpe.append(1000 * (time.perf_counter() - t0))
        out["sklearn_gp_ei"][str(n)] = sk
        out["optuna_tpe"][str(n)] = tpe
    json.dump(out, sys.stdout)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--seeds", type=int, default=20)
    q.add_argument("--budget", type=int, default=100)
    lat = sub.add_parser("latency")
    lat.add_argument("--n", type=int, nargs="+", default=[100, 300, 1000])
    lat.add_argument("--reps", type=int, nargs="+", default=[3, 2, 1])
    lat.add_argument("--d", type=int, default=10)
    args = parser.parse_args()
    quality(args) if args.cmd == "quality" else latency(args)


if __name__ == "__main__":
    main()
