#!/usr/bin/env bash
# Browser test of the `stepfn serve` web console, with Debian's headless Chromium.
#
# Starts `stepfn serve` on a free loopback port, creates a state machine and starts an execution
# through the API (curl, AWS JSON 1.0), then loads the console page of that execution in headless
# Chromium until its DOM shows the execution SUCCEEDED, every state of the graph coloured
# succeeded, and the history down to ExecutionSucceeded; also checks the executions list. Then
# xtask/console-cdp.py drives the page over the DevTools protocol: the state inspector, Map
# iterations, Stop and Redrive buttons, the state machine page and a 2,004-event history paged
# (needs python3 with websocket-client: `pip install websocket-client`).
# Skips (exit 0, with a note) when /usr/bin/chromium is absent. Network: loopback only.
#
#   bash xtask/console-test.sh            # builds with `cargo build -p stepfn --features server`
#   SCREENSHOT=/tmp/console.png bash xtask/console-test.sh   # also saves a screenshot
#   SCREENSHOTS=/tmp/shots bash xtask/console-test.sh         # and one per interactive step
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "console-test: $CHROMIUM is absent (apt-get install -y chromium): skipped"
  exit 0
fi

# FEATURES=<the features of an earlier `cargo test -p stepfn --features …`> reuses its binary.
cargo build -q -p stepfn --features "${FEATURES:-server}"
BIN=${CARGO_TARGET_DIR:-target}/debug/stepfn

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" serve --bind 127.0.0.1:0 --db "$WORK/console.db" 2>"$WORK/server.log" &
SERVER_PID=$!
ADDR=
for _ in $(seq 1 100); do
  ADDR=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/server.log" | head -n 1 || true)
  [ -n "$ADDR" ] && break
  sleep 0.1
done
if [ -z "$ADDR" ]; then echo "console-test: the server did not start"; cat "$WORK/server.log"; exit 1; fi

api() { # ACTION JSON
  curl -sS -X POST "$ADDR/" -H "X-Amz-Target: AWSStepFunctions.$1" \
    -H 'Content-Type: application/x-amz-json-1.0' --data-binary "$2"
}

DEF='{"StartAt":"Hello","States":{"Hello":{"Type":"Pass","Parameters":{"greeting.$":"States.Format(\u0027hello {}\u0027, $.who)"},"Next":"Pause"},"Pause":{"Type":"Wait","Seconds":1,"Next":"Both"},"Both":{"Type":"Parallel","Branches":[{"StartAt":"Left","States":{"Left":{"Type":"Pass","End":true}}},{"StartAt":"Right","States":{"Right":{"Type":"Pass","End":true}}}],"Next":"Done"},"Done":{"Type":"Succeed"}}}'
DEF_JSON=$(printf '%s' "$DEF" | sed 's/\\/\\\\/g; s/"/\\"/g')
api CreateStateMachine "{\"name\":\"ConsoleDemo\",\"roleArn\":\"arn:aws:iam::123456789012:role/demo\",\"definition\":\"$DEF_JSON\"}" >/dev/null
START=$(api StartExecution '{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:ConsoleDemo","name":"from-the-api","input":"{\"who\":\"console\"}"}')
ARN=$(printf '%s' "$START" | grep -o 'arn:aws:states:[^"]*')
[ -n "$ARN" ] || { echo "console-test: StartExecution failed: $START"; exit 1; }
ENC_ARN=$(printf '%s' "$ARN" | sed 's/:/%3A/g')

dom() { # URL
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$WORK/profile" \
    --virtual-time-budget=3000 --dump-dom "$1" 2>/dev/null
}

# The page polls while the execution runs; reload until it shows the end (bounded).
PAGE="$ADDR/?execution=$ENC_ARN"
ok=
for _ in $(seq 1 30); do
  dom "$PAGE" >"$WORK/execution.html" || true
  if grep -q 'data-status="SUCCEEDED"' "$WORK/execution.html"; then ok=1; break; fi
  sleep 1
done
[ -n "$ok" ] || { echo "console-test: the execution page never showed SUCCEEDED"; cat "$WORK/execution.html"; exit 1; }

fail=0
check() { # PATTERN WHAT
  if grep -q -- "$1" "$WORK/execution.html"; then echo "ok: $2"; else echo "FAILED: $2"; fail=1; fi
}
check 'id="graph"' "the graph is drawn"
check '<svg class="edges"' "the graph has its edges"
for s in Hello Pause Both Left Right Done; do
  check "data-state=\"$s\" data-outcome=\"succeeded\"" "state $s is coloured succeeded"
done
check 'data-event="ExecutionStarted"' "the history starts with ExecutionStarted"
check 'data-event="WaitStateExited"' "the history has the Wait state"
check 'data-event="ExecutionSucceeded"' "the history ends with ExecutionSucceeded"
check 'hello console' "the output of a step is shown"

dom "$ADDR/?status=SUCCEEDED" >"$WORK/list.html" || true
if grep -q 'from-the-api' "$WORK/list.html" && grep -q 'ConsoleDemo' "$WORK/list.html"; then
  echo "ok: the executions list (filtered by SUCCEEDED) shows the execution"
else
  echo "FAILED: the executions list does not show the execution"; fail=1
fi

if [ -n "${SCREENSHOT:-}" ]; then
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$WORK/profile" \
    --virtual-time-budget=3000 --window-size=1200,1400 --screenshot="$SCREENSHOT" "$PAGE" 2>/dev/null || true
  echo "screenshot: $SCREENSHOT"
fi

passed=1
if python3 xtask/console-cdp.py "$ADDR" "$CHROMIUM"; then
  passed=2
else
  fail=1
fi

if [ "$fail" = 0 ]; then
  echo "console-test: $passed passed, 0 failed"
else
  echo "console-test: $((passed - 1)) passed, 1 failed"
  exit 1
fi
