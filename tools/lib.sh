# Shared by tools/stack, tools/test and tools/demo (source it). Bash only.

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s until it succeeds; says so when ready,
# and when the time runs out says what it waited for and returns 1 (callers die with the service's log).
wait_until() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      printf '[stack] error: %s not ready after %s s\n' "$what" "$limit" >&2
      return 1
    fi
    sleep 0.2
  done
  printf '[stack] %s ready\n' "$what" >&2
}

# stack_up_tracked [SERVICE...]: brings the stack up and sets STACK_STARTED to the services this call started,
# so a caller can stop only those at exit (a stack someone already had up stays up).
stack_up_tracked() {
  local root; root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  local was_up
  was_up=$("$root/tools/stack" status | awk '$2 == "up" {print $1}' | tr '\n' ' ')
  "$root/tools/stack" up "$@"
  STACK_STARTED=$("$root/tools/stack" status | awk '$2 == "up" {print $1}' \
    | while read -r s; do [[ " $was_up " == *" $s "* ]] || echo "$s"; done | tr '\n' ' ')
}
