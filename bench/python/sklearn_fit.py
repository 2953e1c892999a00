"""Fits scikit-learn on the benchmark's generated data and prints one JSON line.

Run by bench/ml-train-bench.ts with the Python that has scikit-learn:

    python3 sklearn_fit.py --model hgb|logreg --data FILE --features F --train N [--repeats R]

FILE holds float64 values, little-endian, row-major: F feature columns then
the 0/1 label, training rows first, the test rows after them. The fit time is
the best of R fits (the machine is shared); the peak RSS is this process's
high-water mark, with the data loaded, and the RSS before the first fit.
"""
import argparse
import json
import resource
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def current_rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def make_model(name):
    if name == "hgb":
        # Same settings as the TypeScript side: 100 iterations, depth 6, no early stopping.
        return HistGradientBoostingClassifier(max_iter=100, max_depth=6, early_stopping=False, random_state=42)
    # StandardScaler then L2 logistic regression with C = 1 (lambda = 1), lbfgs.
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["hgb", "logreg"], required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--features", type=int, required=True)
    parser.add_argument("--train", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    table = np.fromfile(args.data, dtype="<f8").reshape(-1, args.features + 1)
    features = np.ascontiguousarray(table[:, : args.features])
    labels = table[:, args.features].astype(np.int64)
    del table
    x_train, y_train = features[: args.train], labels[: args.train]
    x_test, y_test = features[args.train :], labels[args.train :]

    rss_before_kib = current_rss_kib()
    times = []
    model = None
    for _ in range(args.repeats):
        model = make_model(args.model)
        start = time.perf_counter()
        model.fit(x_train, y_train)
        times.append(time.perf_counter() - start)
    probabilities = model.predict_proba(x_test)[:, 1]
    result = {
        "sklearn": sklearn.__version__,
        "fit_seconds": min(times),
        "fit_seconds_all": times,
        "accuracy": float(accuracy_score(y_test, probabilities > 0.5)),
        "roc_auc": float(roc_auc_score(y_test, probabilities)),
        "rss_before_fit_kib": rss_before_kib,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    if args.model == "hgb":
        result["iterations"] = int(model.n_iter_)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
