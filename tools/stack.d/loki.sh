# Loki: the real Grafana Loki 3.4.6 single binary (no registry ships it; see ../shared/backends/loki/NOTICE.md),
# filesystem storage in .stack/loki/data, loopback only. After it is ready, `up` pushes the recorded log lines
# of the demo incident (tests/fixtures/loki/scenario-push.json, 2024-01-15 02:00-04:00Z) and the simulated
# incidents (tools/scenario/simulate.py, one window each from 2024-03-01) so one Loki serves all of them.
#
# Binary: $LOKI_BIN when set; else ../shared/backends/loki/loki-3.4.6-linux-amd64.xz unpacked once into the cache;
# else the official release zip from GitHub (linux-amd64), also cached.
LOKI_PORT=${KAFKA_QA_LOKI_PORT:-13100}
LOKI_GRPC_PORT=${KAFKA_QA_LOKI_GRPC_PORT:-$((LOKI_PORT + 1))}
LOKI_VERSION=3.4.6
LOKI_CACHED="$CACHE/loki-$LOKI_VERSION/loki"
SERVICES+=(loki)

loki_url() { echo "http://127.0.0.1:$LOKI_PORT"; }
loki_env() { echo "export LOKI_URL=$(loki_url)"; }
loki_bin() { echo "${LOKI_BIN:-$LOKI_CACHED}"; }

loki_install() {
  if [[ -n "${LOKI_BIN:-}" ]]; then
    [[ -x "$LOKI_BIN" ]] || die "LOKI_BIN=$LOKI_BIN is not an executable file"
    return 0
  fi
  [[ -x "$LOKI_CACHED" ]] && return 0
  local dir; dir=$(dirname "$LOKI_CACHED"); mkdir -p "$dir"
  local shared="$ROOT/../shared/backends/loki/loki-$LOKI_VERSION-linux-amd64.xz"
  if [[ -f "$shared" ]]; then
    log "unpacking Loki $LOKI_VERSION from $shared (cached in $dir)"
    xz -dc "$shared" >"$LOKI_CACHED.part" || { rm -f "$LOKI_CACHED.part"; die "could not unpack $shared"; }
  else
    local url="https://github.com/grafana/loki/releases/download/v$LOKI_VERSION/loki-linux-amd64.zip"
    log "downloading Loki $LOKI_VERSION from $url (cached in $dir)"
    curl -fsSL --retry 3 -o "$dir/loki-linux-amd64.zip" "$url" || die "could not download $url"
    # The zip holds one file, loki-linux-amd64. Python's zipfile: no dependency on unzip.
    python3 - "$dir/loki-linux-amd64.zip" "$LOKI_CACHED.part" <<'PY' || die "could not unpack the Loki zip"
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open('loki-linux-amd64') as src, open(sys.argv[2], 'wb') as dst:
    shutil.copyfileobj(src, dst)
PY
    rm -f "$dir/loki-linux-amd64.zip"
  fi
  chmod +x "$LOKI_CACHED.part" && mv "$LOKI_CACHED.part" "$LOKI_CACHED"
}

loki_ready() { curl -sf "$(loki_url)/ready"; }

# The stack's config: ../shared/backends/loki/loki-config.yaml with this stack's paths and ports, plus what the
# scenario load needs (quirks of the test stack live here, never in the product): back-dated lines accepted and
# queryable before a flush, ingestion limits far above the push burst, long query ranges, large line limits.
loki_config() {
  local data=$1
  cat <<EOF
auth_enabled: false

server:
  http_listen_address: 127.0.0.1
  http_listen_port: $LOKI_PORT
  grpc_listen_address: 127.0.0.1
  grpc_listen_port: $LOKI_GRPC_PORT
  log_level: warn
  grpc_server_max_concurrent_streams: 1000
  grpc_server_max_recv_msg_size: 67108864
  grpc_server_max_send_msg_size: 67108864
  http_server_read_timeout: 60s
  http_server_write_timeout: 60s

common:
  instance_addr: 127.0.0.1
  path_prefix: $data
  storage:
    filesystem:
      chunks_directory: $data/chunks
      rules_directory: $data/rules
  replication_factor: 1
  ring:
    kvstore:
      store: inmemory

query_range:
  results_cache:
    cache:
      embedded_cache:
        enabled: true
        max_size_mb: 100

limits_config:
  reject_old_samples: false
  allow_structured_metadata: true
  volume_enabled: true
  ingestion_rate_mb: 256
  ingestion_burst_size_mb: 512
  per_stream_rate_limit: 256MB
  per_stream_rate_limit_burst: 512MB
  max_line_size: 0
  max_query_length: 0
  max_query_lookback: 0
  max_entries_limit_per_query: 50000
  max_query_series: 5000
  max_streams_per_user: 0
  max_global_streams_per_user: 0

schema_config:
  configs:
    - from: 2020-10-24
      store: tsdb
      object_store: filesystem
      schema: v13
      index:
        prefix: index_
        period: 24h

# Serves /loki/api/v1/patterns.
pattern_ingester:
  enabled: true

ruler:
  alertmanager_url: http://127.0.0.1:$((LOKI_PORT + 93))

frontend:
  encoding: protobuf

# Single binary + filesystem store: let queries reach the ingesters for any time range, so back-dated lines
# (reject_old_samples: false) are queryable before a chunk flush.
ingester:
  query_store_max_look_back_period: -1

querier:
  query_ingesters_within: 0

analytics:
  reporting_enabled: false
EOF
}

loki_up() {
  if pid_alive loki && loki_ready >/dev/null 2>&1 && loaded_current loki; then
    log "loki already up on $(loki_url)"; return 0
  fi
  stop_pid loki
  # A fresh Loki each start: the pushes below are then always in time order per stream (Loki refuses a line
  # more than ~1 h behind the newest of its stream) and never duplicated.
  local dir="$STATE/loki"; rm -rf "$dir"; mkdir -p "$dir/data"
  loki_config "$dir/data" >"$dir/loki.yaml"
  start_bg loki "$dir" "$(loki_bin)" -config.file="$dir/loki.yaml"
  wait_until 90 "loki on $(loki_url)" loki_ready || { tail -30 "$STATE/loki.log" >&2; die "loki did not become ready within 90 s"; }
  scenarios_render loki
  local started=$SECONDS
  python3 "$ROOT/tools/scenario/loki_push.py" --url "$(loki_url)" \
    "$ROOT/tests/fixtures/loki/scenario-push.json" "$SCENARIOS_DIR"/loki/*.json >"$STATE/loki-push.log" 2>&1 \
    || { tail -20 "$STATE/loki-push.log" >&2; die "pushing the scenario logs into loki failed"; }
  log "loki: scenario logs pushed in $((SECONDS - started)) s ($(tail -1 "$STATE/loki-push.log"))"
  scenarios_stamp >"$dir/.scenarios"
}

loki_down() { stop_pid loki; }
