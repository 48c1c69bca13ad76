#!/usr/bin/env python3
"""Reference runs of Debian's python3-xgboost for Tradewind's tests and benchmarks.

Reads feature CSVs written by Tradewind (header = feature names then `label`; empty cell =
missing), trains an XGBoost booster with the hist method, saves it as JSON, predicts rows and
writes margin and probability per row. Prints one JSON object on stdout with the timings.

  xgb_reference.py --train TRAIN.csv --out MODEL.json --params '{"max_depth": 4, ...}' \
      [--rounds N] [--valid VALID.csv --early-stopping N] [--predict ROWS.csv --pred-out PRED.csv]
  xgb_reference.py --model MODEL.json --predict ROWS.csv --pred-out PRED.csv   (predict only)
"""
import argparse
import json
import sys
import time

import numpy as np
import xgboost as xgb


def read_csv(path):
    with open(path) as f:
        header = f.readline().strip().split(',')
    data = np.genfromtxt(path, delimiter=',', skip_header=1, dtype=np.float64, missing_values='', filling_values=np.nan)
    if data.ndim == 1:
        data = data.reshape(1, -1)
    if header and header[-1] == 'label':
        return header[:-1], data[:, :-1], data[:, -1]
    return header, data, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--train')
    ap.add_argument('--valid')
    ap.add_argument('--model')
    ap.add_argument('--out')
    ap.add_argument('--params', default='{}')
    ap.add_argument('--rounds', type=int, default=100)
    ap.add_argument('--early-stopping', type=int, default=0)
    ap.add_argument('--predict')
    ap.add_argument('--pred-out')
    a = ap.parse_args()

    result = {'xgboost_version': xgb.__version__}
    if a.train:
        names, x, y = read_csv(a.train)
        params = {'tree_method': 'hist', 'objective': 'binary:logistic'}
        params.update(json.loads(a.params))
        dtrain = xgb.DMatrix(x, label=y, feature_names=names, missing=np.nan)
        evals = []
        if a.valid:
            _, xv, yv = read_csv(a.valid)
            evals = [(xgb.DMatrix(xv, label=yv, feature_names=names, missing=np.nan), 'valid')]
        t0 = time.perf_counter()
        c0 = time.process_time()
        booster = xgb.train(params, dtrain, num_boost_round=a.rounds, evals=evals,
                            early_stopping_rounds=a.early_stopping or None, verbose_eval=False)
        result['train_seconds'] = time.perf_counter() - t0
        result['train_cpu_seconds'] = time.process_time() - c0
        result['rows'] = int(x.shape[0])
        result['trees'] = booster.num_boosted_rounds()
        if a.early_stopping and a.valid:
            result['best_iteration'] = booster.best_iteration
        booster.set_attr(training_samples=str(x.shape[0]))
        booster.save_model(a.out)
    elif a.model:
        booster = xgb.Booster(model_file=a.model)
    else:
        ap.error('--train or --model is required')

    if a.predict:
        names, x, _ = read_csv(a.predict)
        dm = xgb.DMatrix(x, feature_names=booster.feature_names and names, missing=np.nan)
        t0 = time.perf_counter()
        margin = booster.predict(dm, output_margin=True)
        prob = booster.predict(dm)
        result['predict_seconds'] = time.perf_counter() - t0
        with open(a.pred_out, 'w') as f:
            f.write('margin,probability\n')
            for m, p in zip(margin, prob):
                f.write('%s,%s\n' % (repr(float(m)), repr(float(p))))
    json.dump(result, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
