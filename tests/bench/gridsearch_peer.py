#!/usr/bin/python3
"""scikit-learn's side of gridsearch_bench: GridSearchCV over StandardScaler + SVC(rbf) on
breast_cancer, C = logspace(-3, 3, 10) x gamma = logspace(-5, 1, 10), on predefined folds
(StratifiedKFold, shuffle, random_state=0) that it also writes, as a `fold` column, into a CSV
krige reads, so both sides score the same 100 configurations on the same folds.

Usage: gridsearch_peer.py DATA_CSV OUT_CSV [--repeats N]; prints one JSON object.
Run with Debian's /usr/bin/python3 (python3-sklearn 1.2)."""
import json
import sys
import time

import numpy as np
from sklearn.model_selection import GridSearchCV, PredefinedSplit, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def main():
    data_csv, out_csv = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 3
    with open(data_csv) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(data_csv, delimiter=",", skiprows=1)
    X, y = data[:, :-1], data[:, -1].astype(int)
    fold = np.empty(len(y), dtype=int)
    for k, (_, test) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)):
        fold[test] = k
    with open(data_csv) as src, open(out_csv, "w") as dst:
        dst.write(src.readline().rstrip("\n") + ",fold\n")
        for line, k in zip(src, fold):
            dst.write(line.rstrip("\n") + f",{k}\n")

    Cs, gammas = np.logspace(-3, 3, 10), np.logspace(-5, 1, 10)
    grid = {"svc__C": Cs, "svc__gamma": gammas}
    seconds = []
    for _ in range(repeats):
        search = GridSearchCV(Pipeline([("scale", StandardScaler()), ("svc", SVC(kernel="rbf"))]),
                              grid, cv=PredefinedSplit(fold), n_jobs=2, scoring="accuracy")
        start = time.perf_counter()
        search.fit(X, y)
        seconds.append(time.perf_counter() - start)
    scores = search.cv_results_["mean_test_score"]
    best = float(np.max(scores))
    tied = [{"C": float(p["svc__C"]), "gamma": float(p["svc__gamma"])}
            for p, s in zip(search.cv_results_["params"], scores) if s == best]
    print(json.dumps({
        "seconds": seconds,
        "best_score": best,
        "best_params": {"C": float(search.best_params_["svc__C"]),
                        "gamma": float(search.best_params_["svc__gamma"])},
        "tied_best": tied,
        "C": [float(c) for c in Cs],
        "gamma": [float(g) for g in gammas],
        "features": header[:-1],
    }))


if __name__ == "__main__":
    main()
