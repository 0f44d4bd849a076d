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

# Servers the tests start throwaway copies of, installed from Debian's packages with one apt-get update
# when missing: PostgreSQL (initdb and pg_ctl; or a server in AGENTGRAINS_TEST_POSTGRES) and Redis
# (redis-server; or a server in AGENTGRAINS_TEST_REDIS); kubectl (kubernetes-client), whose
# `kubectl kustomize` renders the Kubernetes overlays offline for the deployment tests; and Chromium
# (chromium; or an executable in AGENTGRAINS_TEST_CHROMIUM), the browser of the run views' browser tests.
packages=()
if [[ ! "${AGENTGRAINS_TEST_POSTGRES:-}" =~ [^[:space:]] ]] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  packages+=(postgresql)
fi
if [[ ! "${AGENTGRAINS_TEST_REDIS:-}" =~ [^[:space:]] ]] && ! command -v redis-server >/dev/null 2>&1; then
  packages+=(redis-server)
fi
if ! command -v kubectl >/dev/null 2>&1; then
  packages+=(kubernetes-client)
fi
if [[ ! "${AGENTGRAINS_TEST_CHROMIUM:-}" =~ [^[:space:]] ]] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  packages+=(chromium)
fi
if (( ${#packages[@]} > 0 )); then
  echo "test.sh: installing ${packages[*]} (apt-get install -y ${packages[*]})"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "test.sh: ${packages[*]} missing, and installing needs root (or sudo)" >&2; exit 1; }
    sudo=(sudo)
  fi
  apt_log="$(mktemp)"
  if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    echo "test.sh: installing ${packages[*]} failed; install them, or set AGENTGRAINS_TEST_POSTGRES (a connection string) and AGENTGRAINS_TEST_REDIS (host:port) to servers the tests may use" >&2
    exit 1
  fi
  rm -f "$apt_log"
  if [[ " ${packages[*]} " == *" postgresql "* ]] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    echo "test.sh: the postgresql package installed no initdb under /usr/lib/postgresql" >&2
    exit 1
  fi
  if [[ " ${packages[*]} " == *" redis-server "* ]] && ! command -v redis-server >/dev/null 2>&1; then
    echo "test.sh: the redis-server package put no redis-server on PATH" >&2
    exit 1
  fi
  if [[ " ${packages[*]} " == *" kubernetes-client "* ]] && ! command -v kubectl >/dev/null 2>&1; then
    echo "test.sh: the kubernetes-client package put no kubectl on PATH" >&2
    exit 1
  fi
  if [[ " ${packages[*]} " == *" chromium "* ]] && ! command -v chromium >/dev/null 2>&1; then
    echo "test.sh: the chromium package put no chromium on PATH" >&2
    exit 1
  fi
fi

# Playwright drives the system's Chromium through the driver in the build output; it never downloads a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

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
