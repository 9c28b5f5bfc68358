#!/usr/bin/python3
"""Optuna peers for tests/bench/pruning_bench: TPE with Optuna's pruners on the same problems.

Run with Debian's /usr/bin/python3 (python3-optuna 3.1, python3-sklearn, python3-xgboost,
scipy). Prints one JSON object: {problem: {pruner: {"cpu": [...], "best": [...]}}}.
  pruning_peer.py --data DIR --seeds 5 --trials 50 [--problems svc xgboost]

svc: StandardScaler + SVC(rbf) on breast_cancer, 10-fold stratified CV, one report per fold.
xgboost: XGBClassifier-equivalent booster on digits, 3-fold stratified CV in lockstep (xgb.cv),
mean held-out accuracy reported every 10 rounds (step = rounds done), 60 rounds.
CPU: time.process_time() spent inside the objective (the worker's share), summed.

Optuna 3.1 has no WilcoxonPruner (3.6+); `wilcoxon` here follows its rule: after each fold,
a one-sided Wilcoxon signed-rank test (scipy) of the trial's fold scores against the best
trial's on the same folds; prune when p < 0.1 (Optuna's default p_threshold).
"""
import argparse
import csv
import json
import math
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def load(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], np.array(rows[1:], dtype=float)
    t = header.index("target")
    y = body[:, t].astype(int)
    x = np.delete(body, t, axis=1)
    return x, y


class Wilcoxon:
    """Optuna's WilcoxonPruner rule on fold scores (maximize), p_threshold 0.1."""

    def __init__(self, study_best):
        self.best = study_best  # callable -> fold scores of the best completed trial

    def prune(self, scores):
        from scipy.stats import wilcoxon
        best = self.best()
        if best is None:
            return False
        k = len(scores)
        diff = np.array(scores) - np.array(best[:k])
        if k == 0 or np.all(diff == 0):
            return False
        try:
            p = wilcoxon(diff, alternative="less", zero_method="zsplit").pvalue
        except ValueError:
            return False
        return p < 0.1


def svc_study(x, y, pruner_name, seed, trials):
    import optuna
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    folds = list(StratifiedKFold(10, shuffle=True, random_state=0).split(x, y))
    pruners = {
        "median": optuna.pruners.MedianPruner(),
        "successive_halving": optuna.pruners.SuccessiveHalvingPruner(),
        "wilcoxon": optuna.pruners.NopPruner(),
        "none": optuna.pruners.NopPruner(),
    }
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=pruners[pruner_name])
    fold_scores = {}
    cpu = [0.0]

    def best_folds():
        done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        if not done:
            return None
        return fold_scores[max(done, key=lambda t: t.value).number]

    wilcoxon = Wilcoxon(best_folds)

    def objective(trial):
        c = trial.suggest_float("C", 1e-3, 1e3, log=True)
        g = trial.suggest_float("gamma", 1e-5, 10, log=True)
        start = time.process_time()
        try:
            scores = []
            for i, (tr, te) in enumerate(folds):
                m = make_pipeline(StandardScaler(), SVC(C=c, gamma=g)).fit(x[tr], y[tr])
                scores.append(float(m.score(x[te], y[te])))
                trial.report(scores[-1], i)
                if trial.should_prune() or (pruner_name == "wilcoxon" and wilcoxon.prune(scores)):
                    raise optuna.TrialPruned()
            fold_scores[trial.number] = scores
            return float(np.mean(scores))
        finally:
            cpu[0] += time.process_time() - start

    study.optimize(objective, n_trials=trials)
    done = [t.value for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return cpu[0], max(done) if done else 0.0


def xgboost_study(x, y, pruner_name, seed, trials):
    import optuna
    import xgboost as xgb
    from sklearn.model_selection import StratifiedKFold
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(x, y))
    pruners = {
        "median": optuna.pruners.MedianPruner(),
        "successive_halving": optuna.pruners.SuccessiveHalvingPruner(min_resource=10,
                                                                    reduction_factor=3),
        "none": optuna.pruners.NopPruner(),
    }
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=pruners[pruner_name])
    dtrain = xgb.DMatrix(x, label=y)
    cpu = [0.0]

    def objective(trial):
        params = {
            "objective": "multi:softprob", "num_class": 10, "tree_method": "hist",
            "nthread": 1, "verbosity": 0, "eval_metric": "merror", "seed": 0,
            "max_depth": trial.suggest_int("max_depth", 2, 6),
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.5, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
            "min_child_weight": trial.suggest_float("min_child_weight", 0.5, 20, log=True),
        }
        start = time.process_time()

        class Report(xgb.callback.TrainingCallback):
            def after_iteration(self, model, epoch, evals_log):
                rounds = epoch + 1
                if rounds % 10 == 0:
                    acc = 1.0 - evals_log["test"]["merror"][-1][0]
                    trial.report(acc, rounds)
                    if trial.should_prune():
                        raise optuna.TrialPruned()
                return False

        try:
            h = xgb.cv(params, dtrain, num_boost_round=60, folds=folds, callbacks=[Report()])
            return float(1.0 - list(h["test-merror-mean"])[-1])
        finally:
            cpu[0] += time.process_time() - start

    study.optimize(objective, n_trials=trials)
    done = [t.value for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return cpu[0], max(done) if done else 0.0


def main():
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--trials", type=int, default=50)
    p.add_argument("--problems", nargs="*", default=["svc", "xgboost"])
    a = p.parse_args()
    out = {}
    if "svc" in a.problems:
        x, y = load(a.data + "/breast_cancer.csv")
        out["svc"] = {}
        for name in ["median", "successive_halving", "wilcoxon"]:
            runs = [svc_study(x, y, name, s, a.trials) for s in range(1, a.seeds + 1)]
            out["svc"][name] = {"cpu": [r[0] for r in runs], "best": [r[1] for r in runs]}
    if "xgboost" in a.problems:
        x, y = load(a.data + "/digits.csv")
        out["xgboost"] = {}
        for name in ["median", "successive_halving"]:
            runs = [xgboost_study(x, y, name, s, a.trials) for s in range(1, a.seeds + 1)]
            out["xgboost"][name] = {"cpu": [r[0] for r in runs], "best": [r[1] for r in runs]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
