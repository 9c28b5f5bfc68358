"""Optuna with RDBStorage on krige's PostgreSQL cluster: the dispatch benchmark's peer.

    dispatch_peer.py URL TRIALS PROCESSES

Creates one study (RandomSampler) and runs PROCESSES processes that each optimize
TRIALS / PROCESSES trials of an objective that returns at once; prints one JSON line
{"trials", "seconds", "trials_per_second"} measured from the start of the workers to the end
of the last one. Run with Debian's /usr/bin/python3 (python3-optuna, python3-psycopg2).
"""
import json
import multiprocessing
import sys
import time

import optuna


def run(url, name, n, seed):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=name, storage=url,
                              sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=n)


def main():
    url = sys.argv[1].replace("postgresql://", "postgresql+psycopg2://", 1)
    trials, processes = int(sys.argv[2]), int(sys.argv[3])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    name = "dispatch-peer-%d" % time.time_ns()
    optuna.create_study(study_name=name, storage=url)
    start = time.perf_counter()
    jobs = [multiprocessing.Process(target=run, args=(url, name, trials // processes, i))
            for i in range(processes)]
    for j in jobs:
        j.start()
    for j in jobs:
        j.join()
    seconds = time.perf_counter() - start
    done = len(optuna.load_study(study_name=name, storage=url).get_trials(deepcopy=False))
    print(json.dumps({"trials": done, "seconds": seconds, "trials_per_second": done / seconds}))


if __name__ == "__main__":
    main()
