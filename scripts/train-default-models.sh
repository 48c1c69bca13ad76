#!/usr/bin/env sh
# Rebuilds the four small default models in models/ (served by the model servers when the
# configuration names no model file): gradient-boosted trees trained by `tradewind model train`
# on real Binance BTCUSDT 1-minute candles of 2024, resampled, each with a different bar length,
# horizon and tree shape so that the ensemble's members disagree usefully.
# Usage: scripts/train-default-models.sh path/to/BTCUSDT-1m-2024.csv.gz   (after npm run build)
set -eu
DATA=${1:?give the BTCUSDT 1m 2024 candle file}
cd "$(dirname "$0")/.."
tw() { node bin/tradewind.js model train --data "$DATA" --seed 7 --model-version 1 "$@"; }
tw --timeframe 5m --horizon 3 --rounds 60 --max-depth 4 --out models/model-1.txt
tw --timeframe 15m --horizon 4 --rounds 60 --max-depth 3 --out models/model-2.txt
tw --timeframe 5m --horizon 12 --rounds 60 --max-depth 4 --colsample 0.7 --subsample 0.8 --out models/model-3.txt
tw --timeframe 1h --horizon 4 --rounds 60 --max-depth 3 --min-child-weight 5 --out models/model-4.txt
