#!/usr/bin/env bash
# Record a pipeline into runar over HTTP with curl only: a run, two steps, metrics, artifacts.
#   runar token create --name ci            # prints the token once
#   runar serve --write &                    # the write API on http://127.0.0.1:8765
#   RUNAR_TOKEN=runar_... examples/record_pipeline.sh
set -euo pipefail
URL=${RUNAR_URL:-http://127.0.0.1:8765}
post() {  # post PATH [curl args...]: POST with the token; print the reply, fail on a 4xx/5xx
  local path=$1; shift
  curl -sS --fail-with-body -H "Authorization: Bearer $RUNAR_TOKEN" -X POST "$URL$path" "$@"
}
field() { sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/"; }  # one string field of a JSON reply

RUN=$(post /api/runs -d '{"name": "nightly-etl", "tags": ["shell"], "config": {"rows": 1000}, "command": ["etl.sh"]}' | field id)
echo "run $RUN"

EXTRACT=$(post "/api/runs/$RUN/steps" -d '{"name": "extract"}' | field step_id)
seq 1 3 | while read -r i; do
  post "/api/runs/$RUN/metrics" -d "{\"step\": $i, \"values\": {\"rows_read\": $((i * 300))}, \"workflow_step\": \"$EXTRACT\"}" >/dev/null
done
echo "extracted 900 rows" | post "/api/runs/$RUN/artifacts?name=extract.log&kind=log&step=$EXTRACT" --data-binary @- >/dev/null
post "/api/runs/$RUN/steps/$EXTRACT/complete" >/dev/null

LOAD=$(post "/api/runs/$RUN/steps" -d '{"name": "load"}' | field step_id)
printf '{"step": 4, "values": {"loss": 0.5}}\n{"step": 5, "values": {"loss": 0.25}}\n' |
  post "/api/runs/$RUN/metrics" -H 'Content-Type: application/x-ndjson' --data-binary @- >/dev/null
post "/api/runs/$RUN/artifacts?kind=json&step=$LOAD" -F name=report -F 'file=@-;filename=report.json' <<<'{"rows": 900}' >/dev/null
post "/api/runs/$RUN/steps/$LOAD/fail" -d '{"error": "target table locked", "error_type": "LockError"}' >/dev/null

post "/api/runs/$RUN/notes" -d '{"text": "recorded by examples/record_pipeline.sh"}' >/dev/null
post "/api/runs/$RUN/finish" -d '{"status": "failed", "exit_code": 1, "error": "load failed"}' >/dev/null
echo "done: runar show $RUN"
