#!/usr/bin/python3
"""Writes fanova_fixture.json: 400 random trials of a known objective and Optuna's fANOVA
importances of them (FanovaImportanceEvaluator, seed 0), which fanova_test.cpp compares with
krige's (web/api/fanova.cpp). Run with Debian's python3 (python3-optuna, python3-sklearn):
    /usr/bin/python3 tests/unit/importance/make_fixture.py
"""
import json
import math
import os

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
OFFSET = {"a": 0.0, "b": 0.3, "c": 0.6}


def objective(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    y = trial.suggest_float("y", 0.0, 1.0)
    z = trial.suggest_float("z", 1e-3, 1.0, log=True)  # no effect at all
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return 2.0 * x + 2.0 * (y - 0.5) ** 2 + OFFSET[c] + 0.0 * math.log(z)


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
study.optimize(objective, n_trials=400)
importance = optuna.importance.get_param_importances(
    study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
fixture = {
    "generator": "tests/unit/importance/make_fixture.py",
    "optuna_version": optuna.__version__,
    "space": {
        "x": {"type": "float", "low": 0.0, "high": 1.0},
        "y": {"type": "float", "low": 0.0, "high": 1.0},
        "z": {"type": "float", "low": 1e-3, "high": 1.0, "log": True},
        "c": {"type": "categorical", "values": ["a", "b", "c"]},
    },
    "trials": [{"params": t.params, "value": t.value} for t in study.trials],
    "optuna_importance": dict(importance),
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fanova_fixture.json"), "w") as f:
    json.dump(fixture, f, indent=0, sort_keys=True)
    f.write("\n")
print(dict(importance))
