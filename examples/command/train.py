#!/usr/bin/env python3
"""A training program krige runs as a command objective (examples/command/spec.yaml).

Python standard library only. Fits a logistic regression with an extra quadratic feature by
stochastic gradient descent on a fixed two-moons-like dataset and holds out a fifth of it.
After every epoch it prints one JSON line, {"step": epoch, "accuracy": ..., "loss": ...}:
krige reports each such line as an intermediate score, and the last value of the objective
metric is the trial's value. Anything else it prints is ignored.

The hyperparameters arrive as arguments (krige substitutes "{lr}" etc. in the spec's command);
they are also in the environment as KRIGE_PARAM_lr, ... and, as JSON, in KRIGE_PARAMS.
"""
import argparse
import json
import math
import random
import sys


def make_data(n, seed):
    """Two interleaved half circles with noise: not linearly separable, so the quadratic
    feature and the hyperparameters matter."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = i % 2
        t = rng.uniform(0.0, math.pi)
        if label == 0:
            x, y = math.cos(t), math.sin(t)
        else:
            x, y = 1.0 - math.cos(t), 0.5 - math.sin(t)
        rows.append((x + rng.gauss(0, 0.2), y + rng.gauss(0, 0.2), label))
    rng.shuffle(rows)
    return rows


def features(x, y):
    return (1.0, x, y, x * x, y * y, x * y)


def evaluate(w, rows):
    correct, loss = 0, 0.0
    for x, y, label in rows:
        z = sum(wi * fi for wi, fi in zip(w, features(x, y)))
        p = 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))
        correct += int((p >= 0.5) == (label == 1))
        p = min(max(p, 1e-12), 1 - 1e-12)
        loss -= math.log(p) if label == 1 else math.log(1 - p)
    return correct / len(rows), loss / len(rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--l2", type=float, default=0.0)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.lr <= 0:
        sys.exit("lr must be positive")  # a non-zero exit: krige fails the trial with this

    rows = make_data(600, seed=0)
    split = len(rows) * 4 // 5
    train, valid = rows[:split], rows[split:]
    rng = random.Random(args.seed)
    w = [0.0] * 6
    print(f"training with lr={args.lr} l2={args.l2} for {args.epochs} epochs", file=sys.stderr)
    for epoch in range(args.epochs):
        rng.shuffle(train)
        for x, y, label in train:
            f = features(x, y)
            z = sum(wi * fi for wi, fi in zip(w, f))
            p = 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))
            for i in range(len(w)):
                w[i] -= args.lr * ((p - label) * f[i] + args.l2 * w[i])
        accuracy, loss = evaluate(w, valid)
        print(json.dumps({"step": epoch, "accuracy": accuracy, "loss": loss}), flush=True)


if __name__ == "__main__":
    main()
