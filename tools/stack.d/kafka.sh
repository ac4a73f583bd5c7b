# Kafka protocol broker: tansu 0.6.0 from crates.io, in-memory storage (see README, "Backends").
KAFKA_PORT=${KAFKA_QA_KAFKA_PORT:-19092}
TANSU_VERSION=0.6.0
TANSU_ROOT="$CACHE/tansu-$TANSU_VERSION"
TANSU="$TANSU_ROOT/bin/tansu"
SERVICES+=(kafka)

kafka_url() { echo "127.0.0.1:$KAFKA_PORT"; }
# tansu mis-reports watermarks after a multi-record batch and skips the rest of a batch a read starts inside:
# its clients send one record per batch. A property of this broker, given through the librdkafka
# pass-through (KAFKA_QA_KAFKA_PROPERTIES), never a product default.
KAFKA_QUIRK_PROPERTIES="batch.num.messages=1,linger.ms=0"
kafka_env() {
  echo "export KAFKA_BOOTSTRAP_SERVERS=$(kafka_url)"
  echo "export KAFKA_QA_KAFKA_PROPERTIES=$KAFKA_QUIRK_PROPERTIES"
}

kafka_install() {
  [[ -x "$TANSU" ]] && return 0
  log "installing tansu $TANSU_VERSION (debug build, about 4 minutes; cached in $TANSU_ROOT)"
  # A release build takes 20 minutes on 2 cores; the debug build is fast enough for tests.
  CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_DEV_STRIP=true CARGO_TARGET_DIR="$CACHE/tansu-build" \
    cargo install "tansu@$TANSU_VERSION" --locked --debug --no-default-features --features dynostore \
    --root "$TANSU_ROOT" >&2
  rm -rf "$CACHE/tansu-build"
}

kafka_ready() { timeout 5 "$TANSU" topic list --broker "tcp://$(kafka_url)"; }

kafka_up() {
  if pid_alive kafka && kafka_ready >/dev/null 2>&1; then log "kafka already up on $(kafka_url)"; return 0; fi
  stop_pid kafka
  # tansu reads ./.env: start it from an empty folder. Both URLs, or it listens on 0.0.0.0.
  local dir="$STATE/kafka"; rm -rf "$dir"; mkdir -p "$dir"
  start_bg kafka "$dir" "$TANSU" broker \
    --listener-url "tcp://$(kafka_url)" --advertised-listener-url "tcp://$(kafka_url)" \
    --storage-engine memory://tansu/
  wait_until 30 "kafka (tansu) on $(kafka_url)" kafka_ready || { tail -20 "$STATE/kafka.log" >&2; die "tansu did not become ready"; }
}

kafka_down() { stop_pid kafka; }
