# Prometheus: Debian's package, loaded with the Kafka incident scenario (tools/scenario/gen_prometheus.py):
# history with fixed timestamps (2024-01-15 02:00-04:00Z), and the simulated incidents of
# tools/scenario/simulate.py (one window each from 2024-03-01, see tools/scenario/README.md), backfilled with
# promtool BEFORE start so they are queryable at once. Retention 100y so the 2024 blocks are never deleted.
PROMETHEUS_PORT=${KAFKA_QA_PROMETHEUS_PORT:-19090}
SERVICES+=(prometheus)

prometheus_url() { echo "http://127.0.0.1:$PROMETHEUS_PORT"; }
prometheus_env() { echo "export PROMETHEUS_URL=$(prometheus_url)"; }

prometheus_install() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null && return 0
  log "installing prometheus (Debian package)"
  apt_install prometheus
}

prometheus_ready() { curl -sf "$(prometheus_url)/-/ready"; }

prometheus_up() {
  if pid_alive prometheus && prometheus_ready >/dev/null 2>&1 && loaded_current prometheus; then
    log "prometheus already up on $(prometheus_url)"; return 0
  fi
  stop_pid prometheus
  local dir="$STATE/prometheus"; rm -rf "$dir"; mkdir -p "$dir/data"
  # No scrape targets: the scenario is the data. The global interval matches the scenario's 15 s samples.
  printf 'global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n' >"$dir/prometheus.yml"
  python3 "$ROOT/tools/scenario/gen_prometheus.py" >"$dir/scenario.om" 2>/dev/null || die "generating the Prometheus scenario failed"
  promtool tsdb create-blocks-from openmetrics "$dir/scenario.om" "$dir/data" >"$STATE/prometheus-backfill.log" 2>&1 \
    || { tail -20 "$STATE/prometheus-backfill.log" >&2; die "promtool could not backfill the scenario"; }
  rm -f "$dir/scenario.om"
  scenarios_render metrics.om
  local started=$SECONDS
  promtool tsdb create-blocks-from openmetrics --max-block-duration=2400h "$SCENARIOS_DIR/metrics.om" "$dir/data" >>"$STATE/prometheus-backfill.log" 2>&1 \
    || { tail -20 "$STATE/prometheus-backfill.log" >&2; die "promtool could not backfill the simulated incidents"; }
  log "prometheus: simulated incidents backfilled in $((SECONDS - started)) s"
  rm -f "$SCENARIOS_DIR/metrics.om"
  scenarios_stamp >"$dir/.scenarios"
  start_bg prometheus "$dir" prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --storage.tsdb.retention.time=100y \
    --web.enable-remote-write-receiver --web.enable-lifecycle
  wait_until 30 "prometheus on $(prometheus_url)" prometheus_ready || { tail -20 "$STATE/prometheus.log" >&2; die "prometheus did not become ready"; }
}

prometheus_down() { stop_pid prometheus; }
