#!/usr/bin/env python3
"""Converts an XGBoost JSON model (binary:logistic or reg:squarederror, gbtree) to ONNX with
Debian's python3-onnx: a TreeEnsembleClassifier (probabilities [N, 2], logistic
post-transform) for the logistic objective, a TreeEnsembleRegressor ([N, 1]) for regression.
Tradewind's tests use it to check its ONNX adapter (onnxruntime-node) against its own tree
inference on the same trees.

  xgb_to_onnx.py MODEL.json MODEL.onnx
"""
import json
import math
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper


def main(src, dst):
    learner = json.load(open(src))['learner']
    objective = learner['objective']['name']
    params = learner['learner_model_param']
    n_features = int(params['num_feature'])
    base_score = float(str(params['base_score']).strip('[]'))
    binary = objective in ('binary:logistic', 'reg:logistic')
    if binary:
        p = np.float32(base_score)
        base = float(-np.log(np.float32(1.0) / p - np.float32(1.0)))
    elif objective in ('reg:squarederror', 'reg:linear'):
        base = base_score
    else:
        raise SystemExit('unsupported objective ' + objective)

    nodes = {k: [] for k in ('treeids', 'nodeids', 'featureids', 'values', 'modes', 'truenodeids', 'falsenodeids', 'missing_value_tracks_true')}
    leaves = {k: [] for k in ('treeids', 'nodeids', 'ids', 'weights')}
    for t, tree in enumerate(learner['gradient_booster']['model']['trees']):
        left, right = tree['left_children'], tree['right_children']
        for i in range(len(left)):
            leaf = left[i] == -1
            nodes['treeids'].append(t)
            nodes['nodeids'].append(i)
            nodes['featureids'].append(0 if leaf else tree['split_indices'][i])
            nodes['values'].append(0.0 if leaf else tree['split_conditions'][i])
            nodes['modes'].append('LEAF' if leaf else 'BRANCH_LT')
            nodes['truenodeids'].append(0 if leaf else left[i])
            nodes['falsenodeids'].append(0 if leaf else right[i])
            nodes['missing_value_tracks_true'].append(0 if leaf else int(tree['default_left'][i]))
            if leaf:
                leaves['treeids'].append(t)
                leaves['nodeids'].append(i)
                leaves['ids'].append(0)
                leaves['weights'].append(tree['split_conditions'][i])

    attrs = {'nodes_' + k: v for k, v in nodes.items()}
    x = helper.make_tensor_value_info('input', TensorProto.FLOAT, [None, n_features])
    if binary:
        attrs.update({'class_' + k: v for k, v in leaves.items()})
        node = helper.make_node('TreeEnsembleClassifier', ['input'], ['label', 'probabilities'], domain='ai.onnx.ml',
                                classlabels_int64s=[0, 1], post_transform='LOGISTIC', base_values=[base], **attrs)
        outputs = [helper.make_tensor_value_info('label', TensorProto.INT64, [None]),
                   helper.make_tensor_value_info('probabilities', TensorProto.FLOAT, [None, 2])]
    else:
        attrs.update({'target_' + k: v for k, v in leaves.items()})
        node = helper.make_node('TreeEnsembleRegressor', ['input'], ['variable'], domain='ai.onnx.ml',
                                n_targets=1, aggregate_function='SUM', post_transform='NONE', base_values=[base], **attrs)
        outputs = [helper.make_tensor_value_info('variable', TensorProto.FLOAT, [None, 1])]
    graph = helper.make_graph([node], 'xgboost_trees', [x], outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13), helper.make_opsetid('ai.onnx.ml', 3)],
                              producer_name='tradewind-xgb_to_onnx')
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, dst)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
