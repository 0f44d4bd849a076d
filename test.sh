#!/usr/bin/env bash
# Runs the whole test suite from a fresh clone: restore, build (warnings are errors), test.
# Installs what the tests need that a fresh machine lacks.
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required (dotnet not found on PATH)" >&2
  exit 1
fi

# PostgreSQL tests start a throwaway server with initdb and pg_ctl from Debian's postgresql package
# (or use the server in AGENTGRAINS_TEST_POSTGRES); install it when neither is there.
if [[ ! "${AGENTGRAINS_TEST_POSTGRES:-}" =~ [^[:space:]] ]] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  echo "test.sh: installing PostgreSQL (apt-get install -y postgresql)"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "test.sh: PostgreSQL is missing and installing it needs root (or sudo)" >&2; exit 1; }
    sudo=(sudo)
  fi
  apt_log="$(mktemp)"
  if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    echo "test.sh: installing PostgreSQL failed; install the postgresql package or set AGENTGRAINS_TEST_POSTGRES to a server's connection string" >&2
    exit 1
  fi
  rm -f "$apt_log"
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || { echo "test.sh: the postgresql package installed no initdb under /usr/lib/postgresql" >&2; exit 1; }
fi

dotnet restore AgentGrains.sln
dotnet build AgentGrains.sln -c Release --no-restore

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
status=0
dotnet test tests/AgentGrains.Tests.csproj -c Release --no-build \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=results.trx" \
  --results-directory "$results" || status=$?

trx="$results/results.trx"
if [[ -f "$trx" ]]; then
  passed=$(grep -o 'passed="[0-9]*"' "$trx" | head -1 | tr -dc 0-9)
  failed=$(grep -o 'failed="[0-9]*"' "$trx" | head -1 | tr -dc 0-9)
  echo "tests: ${passed:-0} passed, ${failed:-0} failed"
  if [[ "${passed:-0}" == "0" ]]; then
    echo "test.sh: no test ran" >&2
    status=1
  fi
else
  echo "test.sh: the test run produced no results" >&2
  status=1
fi
exit "$status"
