# One image for both roles of AgentGrains, chosen when the container starts:
#
#   docker build -t agentgrains .
#   docker run agentgrains silo [options]      an Orleans silo with the HTTP API (the default role)
#   docker run agentgrains gateway [options]   the standalone gateway: the HTTP API as an Orleans client
#
# The role may also come from AGENTGRAINS_ROLE (silo or gateway) when the first argument is not a role.
# Options after the role go to the program, e.g. --Orleans:SiloPort=11112; configuration is otherwise
# environment variables (Storage__Provider, Cluster__Provider, ConnectionStrings__AgentGrains, ...).
# `agentgrains probe /readyz` (or /healthz) asks the running program over HTTP, for health checks.
#
# API keys: HTTP listens on every interface here, where both programs refuse to start (exit 2) without API keys,
# Gateway__ApiKeys__<name>__Hash (SHA-256 of the key, lower-case hex), __Tenant and __Roles__0 (user or admin),
# unless Gateway__AllowAnonymous=true serves them open, e.g. on the host's loopback only:
#   docker run -e Gateway__AllowAnonymous=true -p 127.0.0.1:8080:8080 agentgrains
#
# Ports: 8080 HTTP (both roles), 11111 silo-to-silo, 30000 the silo's gateway port for Orleans clients.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# Restore first, from the project files alone, so the packages stay cached while only the code changes.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY grain-interfaces/AgentGrains.GrainInterfaces.csproj grain-interfaces/
COPY storage/AgentGrains.Storage.csproj storage/
COPY grains/AgentGrains.Grains.csproj grains/
COPY client/AgentGrains.Client.csproj client/
COPY silo/AgentGrains.Silo.csproj silo/
RUN dotnet restore silo/AgentGrains.Silo.csproj \
 && dotnet restore client/AgentGrains.Client.csproj

COPY grain-interfaces/ grain-interfaces/
COPY storage/ storage/
COPY grains/ grains/
COPY client/ client/
COPY silo/ silo/
RUN dotnet publish silo/AgentGrains.Silo.csproj -c Release --no-restore -o /out/silo \
 && dotnet publish client/AgentGrains.Client.csproj -c Release --no-restore -o /out/gateway

COPY deploy/entrypoint.sh /out/bin/agentgrains
RUN chmod 0755 /out/bin/agentgrains

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime

# The working directory is where a silo on the embedded SQLite default keeps data/ (Storage:Path is relative);
# it belongs to the image's non-root user.
RUN mkdir -p /var/lib/agentgrains && chown "$APP_UID" /var/lib/agentgrains
WORKDIR /var/lib/agentgrains

COPY --from=build /out/silo /app/silo
COPY --from=build /out/gateway /app/gateway
COPY --from=build /out/bin/agentgrains /usr/local/bin/agentgrains

# HTTP on every interface inside the container (outside one, both programs default to loopback).
# The host's shutdown timeout bounds a graceful stop: the silo deactivates its grains, hands its
# reminders over and leaves the membership table; Kubernetes' termination grace period is set above it.
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_SHUTDOWNTIMEOUTSECONDS=45 \
    AGENTGRAINS_ROLE=silo

EXPOSE 8080 11111 30000

# The image's non-root user (the .NET images' "app").
USER $APP_UID

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["agentgrains", "probe", "/healthz"]

ENTRYPOINT ["agentgrains"]
CMD ["silo"]
