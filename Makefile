SERVICE := services/auth-service
TESTS   := services/auth-service.Tests
PUBLISH_DIR := artifacts/publish
PG_PORT ?= 54329
VERSION := $(shell sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
IMAGE ?= auth-service
export AUTH_DEV_PG_PORT := $(PG_PORT)
# Testcontainers' reaper (Ryuk) is pulled from a registry, which these machines cannot reach; the tests
# remove their own containers, also when the test host dies (Infrastructure/ExitCleanup.cs).
export TESTCONTAINERS_RYUK_DISABLED ?= true

.PHONY: run test test-fast image publish pack compat bench bench-import build restore format lint db-start db-stop deps deps-run deps-test validate-deploy lint-openapi openapi clean

## run: local PostgreSQL under .data/ + the service on http://localhost:8080 (Development)
run: deps-run restore db-start
	ASPNETCORE_ENVIRONMENT=Development \
	ConnectionStrings__Postgres="Host=127.0.0.1;Port=$(PG_PORT);Username=postgres;Database=auth_service" \
	dotnet run --project $(SERVICE) --no-launch-profile --urls http://localhost:8080

## test: the whole suite; the tests start their own throwaway PostgreSQL. The PublishedBuild tests
## run the Native AOT executable the image runs, as a child process (copied out of the image, or `make publish`
## without a Docker engine);
## the Container tests run the image (`make image`) when a Docker engine runs or CI may start one
## (scripts/test.sh says which; without an engine they are skipped). It also packs the Testcontainers
## module and checks it against the newest Testcontainers (pack, compat below).
test: deps-test restore validate-deploy lint-openapi pack compat
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

## publish: the service as the Dockerfile publishes it (Release, Native AOT: minutes, not seconds), into artifacts/publish
publish: restore
	dotnet publish $(SERVICE) -c Release -o $(PUBLISH_DIR) --no-restore

## pack: the Testcontainers module for other teams' tests (services/auth-service.Testing) as a NuGet package, into artifacts/packages
pack: restore
	dotnet pack services/auth-service.Testing -c Release -o artifacts/packages --no-restore

## compat: the Testcontainers module against Testcontainers $(TC_COMPAT) (its package allows [3.10.0, 5.0.0); restore takes
## 3.10.0). 1. it compiles against $(TC_COMPAT) (restore output, lock file and build output under artifacts/compat, so the
## committed lock files and obj/ stay); 2. the assembly as packed (built against 3.10) runs on $(TC_COMPAT): every type and
## member it references there resolves, its overrides still override, its builder methods run (scripts/testcontainers-compat).
TC_COMPAT ?= 4.16.0
COMPAT_DIR := $(CURDIR)/artifacts/compat
compat: restore
	rm -rf $(COMPAT_DIR)
	dotnet build services/auth-service.Testing -c Release -p:TestcontainersVersion=$(TC_COMPAT) \
	  -p:RestoreLockedMode=false -p:NuGetLockFilePath=$(COMPAT_DIR)/packages.lock.json \
	  -p:MSBuildProjectExtensionsPath=$(COMPAT_DIR)/obj/ -p:IntermediateOutputPath=$(COMPAT_DIR)/obj/Release/ \
	  -p:OutputPath=$(COMPAT_DIR)/bin/
	grep -q '"Testcontainers/$(TC_COMPAT)"' $(COMPAT_DIR)/obj/project.assets.json
	dotnet build services/auth-service.Testing -c Release --no-restore
	dotnet run --project scripts/testcontainers-compat -c Release -p:TestcontainersVersion=$(TC_COMPAT)

## validate-deploy: docker-compose.yml against the Compose spec, k8s overlays against the Kubernetes schemas
validate-deploy:
	cd deploy/validate && npm ci --no-audit --no-fund --loglevel=error && node validate.mjs

## lint-openapi: Redocly lint of the committed OpenAPI document (docs/openapi.json; rules in docs/tools/redocly.yaml).
## Any finding fails. The OpenApi tests fail when the served document differs from that file.
lint-openapi:
	cd docs/tools && npm ci --no-audit --no-fund --loglevel=error && \
	  REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx --no-install redocly lint --config redocly.yaml ../openapi.json

## openapi: write the document the service serves to docs/openapi.json (run after changing an endpoint; review and commit the diff)
openapi: deps-run restore
	AUTH_WRITE_OPENAPI=1 dotnet test $(TESTS) --no-restore --filter "FullyQualifiedName~OpenApiDocumentTests.ServedDocument_EqualsTheCommittedFile"

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

## bench-import: import-users on 100,000 generated users (IMPORT_USERS=…) against the local cluster: rows/s and peak memory
bench-import: deps-run restore publish
	./scripts/bench-import.sh

## bench: wrk against a Release build (refresh, /auth/me, JWKS, signin) and, in the same run, the references the
## goals are stated against: pgbench (UPDATE + INSERT, bare UPDATE), Kestrel serving a constant JSON (bench/ConstantJson),
## Kestrel signing an access token per POST without a database (bench/SignedToken), ASP.NET Core Identity's API endpoints
## (bench/PeerIdentity), cold start and idle RSS (scripts/bench-start.sh); prints the ratios
bench: deps-run restore
	./scripts/bench.sh
