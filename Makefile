SERVICE := services/auth-service
TESTS   := services/auth-service.Tests
PUBLISH_DIR := artifacts/publish
PG_PORT ?= 54329
VERSION := $(shell sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
IMAGE ?= auth-service
export AUTH_DEV_PG_PORT := $(PG_PORT)

.PHONY: run test test-fast image publish bench build restore format lint db-start db-stop deps deps-run deps-test validate-deploy clean

## run: local PostgreSQL under .data/ + the service on http://localhost:8080 (Development)
run: deps-run restore db-start
	ASPNETCORE_ENVIRONMENT=Development \
	ConnectionStrings__Postgres="Host=127.0.0.1;Port=$(PG_PORT);Username=postgres;Database=auth_service" \
	dotnet run --project $(SERVICE) --no-launch-profile --urls http://localhost:8080

## test: the whole suite; the tests start their own throwaway PostgreSQL. The PublishedBuild tests
## run the Release publish output below as a child process (same runtimeconfig.json as the image);
## the Container tests run the image (`make image`) when a Docker engine runs or CI may start one
## (scripts/test.sh says which; without an engine they are skipped).
test: deps-test restore validate-deploy publish
	./scripts/test.sh

## test-fast: the inner loop; the suite without the Slow, Timing, Load, Browser, Deploy, PublishedBuild, Container
## classes (see the Category traits), no deploy validation, no publish.
FAST_FILTER := Category!=Slow&Category!=Timing&Category!=Load&Category!=Browser&Category!=Deploy&Category!=PublishedBuild&Category!=Container
test-fast: deps-test restore
	dotnet test $(TESTS) --no-restore --filter "$(FAST_FILTER)"

## image: auth-service:<version> and :latest from the project's Dockerfile. Base images that cannot be
## pulled are built as labelled stand-ins first (scripts/container-images.sh lists which).
image:
	./scripts/container-images.sh
	docker build -q -f $(SERVICE)/Dockerfile -t $(IMAGE):$(VERSION) -t $(IMAGE):latest .

## publish: the service as the Dockerfile publishes it (Release), into artifacts/publish
publish: restore
	dotnet publish $(SERVICE) -c Release -o $(PUBLISH_DIR) --no-restore

## validate-deploy: docker-compose.yml against the Compose spec, k8s overlays against the Kubernetes schemas
validate-deploy:
	cd deploy/validate && npm ci --no-audit --no-fund --loglevel=error && node validate.mjs

build: restore
	dotnet build --no-restore

restore:
	dotnet restore

## format: apply .editorconfig (whitespace, code style, analyzer fixes) to the code
format: restore
	dotnet format --no-restore

## lint: fail when `make format` would change something (CI runs this before the tests)
lint: restore
	dotnet format --verify-no-changes --no-restore

db-start:
	./scripts/pg-local.sh start

db-stop:
	./scripts/pg-local.sh stop

## deps-run: machine packages running the service needs (PostgreSQL server binaries)
deps-run:
	./scripts/install-deps.sh run

## deps-test / deps: what the tests need besides (aiosmtpd, Chromium)
deps-test:
	./scripts/install-deps.sh test

deps: deps-test

clean:
	dotnet clean >/dev/null; rm -rf .data artifacts

## bench: wrk against a Release build (refresh, /auth/me, JWKS); needs the local cluster
bench: deps-run restore
	./scripts/bench.sh
