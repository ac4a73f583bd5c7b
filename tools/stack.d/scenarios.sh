# Not a service: the simulated incidents (tools/scenario/simulate.py) that prometheus.sh backfills and loki.sh
# pushes, rendered once into .stack/scenarios with a fixed seed and re-rendered only when the simulator changes.
SCENARIO_SEED=${KAFKA_QA_SCENARIO_SEED:-7}
SCENARIOS_DIR="$STATE/scenarios"

# The version of the rendered scenarios: the simulator's code and the seed.
scenarios_stamp() { echo "$(cat "$ROOT"/tools/scenario/*.py | sha256sum | cut -c1-16)-$SCENARIO_SEED"; }

# loaded_current NAME: the running service NAME was loaded with the current scenarios.
loaded_current() { [[ -f "$STATE/$1/.scenarios" && "$(cat "$STATE/$1/.scenarios")" == "$(scenarios_stamp)" ]]; }

# scenarios_render PART: render the scenarios unless PART of the current rendering (metrics.om or loki) is there
# already. prometheus.sh deletes metrics.om (about 1 GB) once it is backfilled.
scenarios_render() {
  local stamp
  stamp=$(scenarios_stamp)
  if [[ -f "$SCENARIOS_DIR/.stamp" && "$(cat "$SCENARIOS_DIR/.stamp")" == "$stamp" && -e "$SCENARIOS_DIR/$1" ]]; then
    return 0
  fi
  local started=$SECONDS
  rm -rf "$SCENARIOS_DIR"
  python3 "$ROOT/tools/scenario/simulate.py" --out "$SCENARIOS_DIR" --seed "$SCENARIO_SEED" >"$STATE/scenarios.log" 2>&1 \
    || { tail -20 "$STATE/scenarios.log" >&2; die "the incident simulator failed"; }
  echo "$stamp" >"$SCENARIOS_DIR/.stamp"
  log "simulated incidents rendered into $SCENARIOS_DIR in $((SECONDS - started)) s"
}
