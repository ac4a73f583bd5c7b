# Schema Registry: a real Karapace 3.16.0 (Aiven's Confluent-compatible registry, pure Python). Not on PyPI: the
# wheel and its pinned PyPI requirements are in ../shared/backends/karapace/ (see its NOTICE.md), installed once
# into a venv in the cache. It stores its schemas in a compacted topic on the stack's broker, so it comes up
# after kafka (this file sorts after kafka.sh; services start in file-name order). Loopback only.
REGISTRY_PORT=${KAFKA_QA_REGISTRY_PORT:-18081}
KARAPACE_VERSION=3.16.0
KARAPACE_VENV="$CACHE/karapace-$KARAPACE_VERSION"
KARAPACE_SHARED=${KARAPACE_DIR:-$ROOT/../shared/backends/karapace}
SERVICES+=(schema_registry)

schema_registry_url() { echo "http://127.0.0.1:$REGISTRY_PORT"; }
schema_registry_env() { echo "export SCHEMA_REGISTRY_URL=$(schema_registry_url)"; }

schema_registry_install() {
  [[ -x "$KARAPACE_VENV/bin/karapace" ]] && return 0
  local wheel="$KARAPACE_SHARED/karapace-$KARAPACE_VERSION-py3-none-any.whl"
  [[ -f "$wheel" && -f "$KARAPACE_SHARED/requirements.txt" ]] \
    || die "Karapace $KARAPACE_VERSION is not on PyPI; expected its wheel and requirements.txt in $KARAPACE_SHARED
  (build the wheel from github.com/Aiven-Open/karapace tag $KARAPACE_VERSION with 'python3 -m build --wheel', put it
  there with its pinned requirements.txt, or set KARAPACE_DIR to the folder holding them)"
  log "installing Karapace $KARAPACE_VERSION from $KARAPACE_SHARED (about 15 s; cached in $KARAPACE_VENV)"
  rm -rf "$KARAPACE_VENV"
  python3 -m venv "$KARAPACE_VENV" >&2
  "$KARAPACE_VENV/bin/pip" install -q --disable-pip-version-check -r "$KARAPACE_SHARED/requirements.txt" >&2 \
    || { rm -rf "$KARAPACE_VENV"; die "installing Karapace's requirements failed"; }
  "$KARAPACE_VENV/bin/pip" install -q --disable-pip-version-check --no-deps "$wheel" >&2 \
    || { rm -rf "$KARAPACE_VENV"; die "installing the Karapace wheel failed"; }
}

schema_registry_ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(schema_registry_url)/subjects") == 200 ]]; }

# The config: the stack's broker, loopback, and a schemas topic and group named after the port, so two
# registries of two checkouts sharing one broker stay separate instead of electing one leader.
schema_registry_config() {
  cat <<EOF
{
  "bootstrap_uri": "$(kafka_url)",
  "host": "127.0.0.1",
  "advertised_hostname": "127.0.0.1",
  "port": $REGISTRY_PORT,
  "advertised_port": $REGISTRY_PORT,
  "topic_name": "_schemas_kafka_qa_$REGISTRY_PORT",
  "group_id": "schema-registry-kafka-qa-$REGISTRY_PORT",
  "karapace_registry": true,
  "karapace_rest": false,
  "replication_factor": 1,
  "protobuf_runtime_directory": "$STATE/registry/protobuf",
  "log_level": "WARNING"
}
EOF
}

schema_registry_up() {
  if pid_alive schema_registry && schema_registry_ready; then log "schema_registry already up on $(schema_registry_url)"; return 0; fi
  stop_pid schema_registry
  kafka_ready >/dev/null 2>&1 || die "the schema registry stores its schemas in Kafka, and no broker answers on $(kafka_url): run 'tools/stack up kafka' first"
  local dir="$STATE/registry"; rm -rf "$dir"; mkdir -p "$dir/protobuf"
  schema_registry_config >"$dir/karapace.json"
  start_bg schema_registry "$dir" "$KARAPACE_VENV/bin/karapace" "$dir/karapace.json"
  wait_until 120 "schema_registry (Karapace) on $(schema_registry_url)" schema_registry_ready \
    || { tail -30 "$STATE/schema_registry.log" >&2; die "Karapace did not become ready within 120 s"; }
}

schema_registry_down() { stop_pid schema_registry; }
