# Shared defaults for scripts: sourced, never executed. Every value can be overridden.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BOT_VAR_DIR="${BOT_VAR_DIR:-$ROOT/var}"
export RASA_PORT="${RASA_PORT:-5005}"
export ACTION_PORT="${ACTION_PORT:-5055}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:$ACTION_PORT/webhook}"
export TRACKER_DB="${TRACKER_DB:-$BOT_VAR_DIR/tracker.db}"
export RASA_ENDPOINTS="${RASA_ENDPOINTS:-$ROOT/endpoints.yml}"
export RASA_TELEMETRY_ENABLED=false
export TF_CPP_MIN_LOG_LEVEL=2
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
PY="$ROOT/.venv/bin/python"
RASA="$ROOT/.venv/bin/rasa"
mkdir -p "$BOT_VAR_DIR"
