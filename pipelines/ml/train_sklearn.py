"""Bring your own model: train with scikit-learn, export ONNX with the onnx
package, and hand the file to Sluice as the value `model`.

Usage: train_sklearn.py <data.csv> <target column>
Needs Debian's python3-sklearn and python3-onnx (no skl2onnx: the graph is
written here from the fitted parameters).
"""
import csv
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


def main(data_file: str, target: str) -> None:
    with open(data_file, newline="") as handle:
        rows = list(csv.DictReader(handle))
    features = [name for name in rows[0] if name != target]
    x = np.array([[float(row[name]) for name in features] for row in rows])
    y = np.array([int(row[target]) for row in rows])

    scaler = StandardScaler().fit(x)
    classifier = LogisticRegression(C=1.0, max_iter=10000).fit(scaler.transform(x), y)
    weights = classifier.coef_[0]
    bias = float(classifier.intercept_[0])

    nodes = [
        helper.make_node("Scaler", ["X"], ["scaled"], domain="ai.onnx.ml",
                         offset=scaler.mean_.tolist(), scale=(1.0 / scaler.scale_).tolist()),
        # Two rows (-w, w) so that LOGISTIC gives both class probabilities.
        helper.make_node("LinearClassifier", ["scaled"], ["label", "probabilities"], domain="ai.onnx.ml",
                         coefficients=np.concatenate([-weights, weights]).tolist(), intercepts=[-bias, bias],
                         classlabels_ints=[int(c) for c in classifier.classes_], post_transform="LOGISTIC"),
    ]
    graph = helper.make_graph(
        nodes, "sklearn_logistic",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", len(features)])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])],
    )
    model = helper.make_model(graph, producer_name="train_sklearn.py",
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)

    out_dir = os.environ.get("SLUICE_ARTIFACTS", ".")
    path = os.path.join(out_dir, "model.onnx")
    onnx.save(model, path + ".tmp")
    os.replace(path + ".tmp", path)
    accuracy = float(classifier.score(scaler.transform(x), y))
    output = os.environ.get("SLUICE_OUTPUT")
    if output:
        with open(output, "w") as handle:
            json.dump({"model": path, "train_accuracy": accuracy}, handle)
    print(f"wrote {path} ({len(features)} features, train accuracy {accuracy:.4f})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
