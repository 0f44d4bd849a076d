#!/bin/bash
# The container's entry point: runs a silo or the standalone gateway, or probes the one running.
#
#   agentgrains silo [options]       AgentGrains.Silo.dll: an Orleans silo with the HTTP API
#   agentgrains gateway [options]    AgentGrains.Client.dll: the standalone gateway (an Orleans client)
#   agentgrains [options]            the role in AGENTGRAINS_ROLE (default silo)
#   agentgrains probe [path]         GET path (default /healthz) on the local HTTP port; exit 0 on 200
#
# Options go to the program as .NET configuration (--Orleans:SiloPort=11112, --urls=...).
# Listening beyond loopback (the image's ASPNETCORE_HTTP_PORTS), the programs need API keys (Gateway__ApiKeys__*)
# or Gateway__AllowAnonymous=true, and exit 2 saying so otherwise. The probe's paths need no key.
set -euo pipefail

probe() {
  local path="${1:-/healthz}"
  # The first of ASPNETCORE_HTTP_PORTS (separated by ; or ,), or AGENTGRAINS_PROBE_PORT.
  local ports="${ASPNETCORE_HTTP_PORTS:-8080}"
  local port="${AGENTGRAINS_PROBE_PORT:-${ports%%[;,]*}}"
  local status
  exec 3<>"/dev/tcp/127.0.0.1/${port}" || return 1
  printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
  IFS= read -r -t 5 status <&3 || return 1
  exec 3<&-
  [[ "$status" =~ ^HTTP/1\.[01]\ 200[[:space:]] ]]
}

role="${AGENTGRAINS_ROLE:-silo}"
if (( $# > 0 )); then
  case "$1" in
    silo|gateway|probe) role="$1"; shift ;;
    -*) ;;
    *) echo "agentgrains: unknown role '$1'; use silo, gateway or probe [path]" >&2; exit 64 ;;
  esac
fi

case "$role" in
  silo) exec dotnet /app/silo/AgentGrains.Silo.dll "$@" ;;
  gateway) exec dotnet /app/gateway/AgentGrains.Client.dll "$@" ;;
  probe) probe "$@" ;;
  *) echo "agentgrains: AGENTGRAINS_ROLE is '$role'; set it to silo or gateway" >&2; exit 64 ;;
esac
