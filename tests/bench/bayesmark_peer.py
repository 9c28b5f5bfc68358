#!/usr/bin/python3
"""Optuna's TPESampler as an ask/tell peer of bayesmark_bench: krige evaluates every trial
(the same folds and trainers for every tuner), this process only suggests.

One JSON object per line on stdin, one answer per line on stdout:
  {"cmd": "new", "space": {...krige space...}, "direction": "minimize", "seed": 3}
  {"cmd": "ask"}                -> {"params": {...}}
  {"cmd": "tell", "value": 0.5}
Run with Debian's /usr/bin/python3 (python3-optuna)."""
import json
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def distributions(space):
    out = {}
    for name, p in space.items():
        kind = p["type"]
        if kind == "float":
            out[name] = optuna.distributions.FloatDistribution(
                p["low"], p["high"], log=bool(p.get("log", False)))
        elif kind == "int":
            out[name] = optuna.distributions.IntDistribution(
                int(p["low"]), int(p["high"]), log=bool(p.get("log", False)))
        elif kind == "categorical":
            out[name] = optuna.distributions.CategoricalDistribution(p["values"])
        else:
            raise ValueError("unsupported parameter type " + kind)
    return out


def main():
    study = None
    dists = None
    trial = None
    for line in sys.stdin:
        m = json.loads(line)
        if m["cmd"] == "new":
            dists = distributions(m["space"])
            study = optuna.create_study(direction=m["direction"],
                                        sampler=optuna.samplers.TPESampler(seed=m["seed"]))
        elif m["cmd"] == "ask":
            trial = study.ask(fixed_distributions=dists)
            print(json.dumps({"params": trial.params}), flush=True)
        elif m["cmd"] == "tell":
            study.tell(trial, m["value"])


if __name__ == "__main__":
    main()
