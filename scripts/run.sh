#!/usr/bin/env bash
# Start the action server and Rasa (REST + socket.io), plus the channels that are configured.
# Ctrl-C stops everything cleanly.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

MODEL="$("$PY" -c 'from bot.training import model_path; print(model_path())')"
[[ -f "$MODEL" ]] || { echo "No trained model at $MODEL: run 'make train'"; exit 1; }

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "==> Stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "==> Stopped."
  exit 0
}
trap stop INT TERM EXIT

echo "==> Starting the action server on :$ACTION_PORT"
"$RASA" run actions --actions actions --port "$ACTION_PORT" \
  >"$BOT_VAR_DIR/actions.log" 2>&1 &
pids+=($!)

# The HTTP API (model switch by `python -m bot publish`) is protected by a token kept in var/.
TOKEN_FILE="$BOT_VAR_DIR/rasa_api_token"
if [[ -z "${ADMIN_RASA_TOKEN:-}" ]]; then
  [[ -s "$TOKEN_FILE" ]] || (umask 077; "$PY" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$TOKEN_FILE")
  export ADMIN_RASA_TOKEN="$(cat "$TOKEN_FILE")"
fi
export RASA_HOST="${RASA_HOST:-127.0.0.1}"
export RASA_URL="${RASA_URL:-http://127.0.0.1:$RASA_PORT}"

CREDENTIALS="$("$PY" -m bot.channels.credentials "$BOT_VAR_DIR/credentials.yml")"
echo "==> Starting Rasa on :$RASA_PORT with model $(basename "$MODEL")"
"$RASA" run --model "$MODEL" --port "$RASA_PORT" --credentials "$CREDENTIALS" \
  --endpoints "$RASA_ENDPOINTS" --cors "*" -i "$RASA_HOST" --enable-api --auth-token "$ADMIN_RASA_TOKEN" \
  >"$BOT_VAR_DIR/rasa.log" 2>&1 &
pids+=($!)

echo -n "==> Waiting for Rasa to load the model"
for _ in $(seq 1 180); do
  if curl -sf "http://127.0.0.1:$RASA_PORT/" >/dev/null && \
     curl -sf "http://127.0.0.1:$ACTION_PORT/health" >/dev/null; then break; fi
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo; echo "A server exited: see $BOT_VAR_DIR/*.log"; exit 1; }; done
  echo -n "."; sleep 1
done
echo
for extra in $("$PY" -m bot.channels.extras); do
  echo "==> Starting channel: $extra"
  "$PY" -m "bot.channels.$extra" >"$BOT_VAR_DIR/$extra.log" 2>&1 &
  pids+=($!)
done

export ADMIN_PORT="${ADMIN_PORT:-5010}"
echo "==> Starting the staff admin page on :$ADMIN_PORT"
"$PY" -m bot admin serve >"$BOT_VAR_DIR/admin.log" 2>&1 &
pids+=($!)

cat <<MSG

Sơn La public-services assistant is running.
  REST:     curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"a","message":"lam giay khai sinh can gi"}'
  Widget:   http://127.0.0.1:$RASA_PORT/widget/demo.html   (demo portal page)
  Staff:    http://127.0.0.1:$ADMIN_PORT/   (create a login: ADMIN_PASSWORD=... .venv/bin/python -m bot admin add-user NAME)
  Channels: $("$PY" -m bot.channels.extras --describe)
  Logs:     $BOT_VAR_DIR/*.log
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}" || true
echo "A server stopped unexpectedly: see $BOT_VAR_DIR/*.log"
