#!/usr/bin/env bash
# The whole suite: data validation, Rasa test stories, unit/integration/e2e/browser tests,
# and the held-out NLU report. Fails when any part fails.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
MODEL="$("$PY" -c 'from bot.training import model_path; print(model_path())')"

"$ROOT/scripts/services.sh"
if [[ -x "$ROOT/scripts/setup-browser.sh" ]]; then "$ROOT/scripts/setup-browser.sh"; fi

echo "==> rasa data validate"
"$RASA" data validate --domain domain.yml --data data/nlu data/core data/generated \
  --config config.yml >"$BOT_VAR_DIR/validate.log" 2>&1 \
  || { tail -40 "$BOT_VAR_DIR/validate.log"; exit 1; }
echo "    training data and domain are consistent"

echo "==> Test stories (--fail-on-prediction-errors), model $(basename "$MODEL")"
"$RASA" test core --model "$MODEL" --stories tests/stories --fail-on-prediction-errors \
  --out "$BOT_VAR_DIR/test-stories" --no-plot >"$BOT_VAR_DIR/test-stories.log" 2>&1 \
  || { tail -40 "$BOT_VAR_DIR/test-stories.log"; cat "$BOT_VAR_DIR/test-stories/failed_test_stories.yml" 2>/dev/null; exit 1; }
echo "    all test stories passed"

echo "==> Held-out NLU set (never trained on): reports/heldout_nlu.md"
"$PY" -m bot.evaluation heldout --model "$MODEL"

echo "==> pytest"
"$PY" -m pytest -q -p no:cacheprovider "$@"
