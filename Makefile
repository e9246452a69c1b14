SERVICE := services/auth-service
TESTS   := services/auth-service.Tests

.PHONY: run test bench build restore db-start db-stop deps clean

## run: local PostgreSQL under .data/ + the service on http://localhost:8080 (Development)
run: deps restore db-start
	ASPNETCORE_ENVIRONMENT=Development dotnet run --project $(SERVICE) --no-launch-profile --urls http://localhost:8080

## test: the whole suite; the tests start their own throwaway PostgreSQL
test: deps restore
	dotnet test $(TESTS) --no-restore --logger "console;verbosity=normal"

build: restore
	dotnet build --no-restore

restore:
	dotnet restore

db-start:
	./scripts/pg-local.sh start

db-stop:
	./scripts/pg-local.sh stop

## deps: machine packages the service and tests need (PostgreSQL server binaries, libsodium)
deps:
	./scripts/install-deps.sh

clean:
	dotnet clean >/dev/null; rm -rf .data

## bench: wrk against a Release build (refresh, /auth/me, JWKS); needs the local cluster
bench: deps restore
	./scripts/bench.sh
