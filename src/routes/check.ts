import { stringify } from 'yaml';
import type { ApigeeRoute, RoutesFile } from './load.js';
import type { OverridesFile } from './overrides.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export type CheckId = 'wildcard-route' | 'enable-non-sni-client' | 'route-running' | 'overrides-additional-gateways' | 'envgroup-additional-gateways' | 'tls-settings';

export interface Check {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** Why it passes, fails or was not checked. Strings from the input files are unescaped here. */
  reason: string;
  /** What to change, as a snippet (YAML, or shell commands where nothing is written in YAML); null when it passes. */
  fix: { language: 'yaml' | 'sh'; text: string } | null;
}

export type RouteRole = 'wildcard' | 'envgroup' | 'other';

export interface RoutesCheckResult {
  /** The wildcard route the checks are about; null when there is none. */
  wildcardRoute: string | null;
  roles: Map<ApigeeRoute, RouteRole>;
  checks: Check[];
}

const DEFAULT_ROUTE_NAME = 'non-sni-route';
const DEFAULT_NAMESPACE = 'apigee';

function quoteList(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

/** The role of each route: the one with hostnames "*", the environment group routes (host names, no "*"), others. */
function rolesOf(routes: ApigeeRoute[]): { wildcards: ApigeeRoute[]; envgroups: ApigeeRoute[]; roles: Map<ApigeeRoute, RouteRole> } {
  const roles = new Map<ApigeeRoute, RouteRole>();
  const wildcards: ApigeeRoute[] = [];
  const envgroups: ApigeeRoute[] = [];
  for (const r of routes) {
    if (r.hostnames.includes('*')) {
      wildcards.push(r);
      roles.set(r, 'wildcard');
    } else if (r.hostnames.length > 0 && r.enableNonSniClient !== true) {
      envgroups.push(r);
      roles.set(r, 'envgroup');
    } else roles.set(r, 'other');
  }
  return { wildcards, envgroups, roles };
}

function credentialOf(r: ApigeeRoute): string | null {
  for (const p of r.ports) if (p.tls?.credentialName) return p.tls.credentialName;
  return null;
}

/** The ApigeeRoute the runbook asks for, as YAML. */
export function wildcardRouteYaml(name: string, namespace: string, credentialName: string | null): string {
  return stringify({
    apiVersion: 'apigee.cloud.google.com/v1alpha1',
    kind: 'ApigeeRoute',
    metadata: { name, namespace },
    spec: {
      hostnames: ['*'],
      ports: [{ number: 443, protocol: 'HTTPS', tls: { credentialName: credentialName ?? 'CREDENTIAL_NAME', mode: 'SIMPLE', minProtocolVersion: 'TLS_AUTO' } }],
      selector: { app: 'apigee-ingressgateway' },
      enableNonSniClient: true,
    },
  });
}

/** Runs the runbook's step 4 checks on the routes (and the overrides file, when given). */
export function checkRoutes(routesFile: RoutesFile, overrides: OverridesFile | null): RoutesCheckResult {
  const { wildcards, envgroups, roles } = rolesOf(routesFile.routes);
  const checks: Check[] = [];
  // Prefer the wildcard route that has the flag, then one that is running.
  const route =
    wildcards.find((r) => r.enableNonSniClient === true && r.state?.toLowerCase() === 'running') ?? wildcards.find((r) => r.enableNonSniClient === true) ?? wildcards[0] ?? null;
  // Without a wildcard route, the fix uses the name overrides.yaml already gives it, if any.
  const existing = new Set(routesFile.routes.map((r) => r.name));
  const intended = overrides?.virtualhosts.flatMap((v) => v.additionalGateways).find((g) => !existing.has(g));
  const name = route?.name || intended || DEFAULT_ROUTE_NAME;
  const namespace = route?.namespace ?? envgroups[0]?.namespace ?? overrides?.namespace ?? DEFAULT_NAMESPACE;
  const envCredential = envgroups.map(credentialOf).find((c) => c !== null) ?? null;
  const credential = (route && credentialOf(route)) ?? envCredential;
  const fullRoute = wildcardRouteYaml(name, namespace, credential);
  const noRoute = 'there is no ApigeeRoute with hostnames ["*"]';
  const noRouteSee = `${noRoute} (the fix of the first check adds it)`;

  // 1. A route with hostnames "*".
  if (route !== null) {
    const others = wildcards.filter((r) => r !== route).map((r) => r.name);
    checks.push({
      id: 'wildcard-route',
      title: 'An ApigeeRoute with hostnames ["*"]',
      status: 'pass',
      reason:
        `"${route.name}" has hostnames ${JSON.stringify(route.hostnames)}` +
        (others.length > 0 ? `; ${others.length === 1 ? 'another route has' : 'other routes have'} "*" too (${quoteList(others)}): keep one` : ''),
      fix: null,
    });
  } else {
    checks.push({
      id: 'wildcard-route',
      title: 'An ApigeeRoute with hostnames ["*"]',
      status: 'fail',
      reason: `none of the ${routesFile.routes.length} ApigeeRoutes has hostnames ["*"]: clients without SNI match no route and are reset`,
      fix: { language: 'yaml', text: `# kubectl apply -n ${namespace} -f ${name}.yaml\n${fullRoute}` },
    });
  }

  // 2. enableNonSniClient: true.
  const flag = route?.enableNonSniClient;
  checks.push(
    route === null
      ? { id: 'enable-non-sni-client', title: 'enableNonSniClient: true on that route', status: 'fail', reason: noRouteSee, fix: null }
      : flag === true
        ? { id: 'enable-non-sni-client', title: 'enableNonSniClient: true on that route', status: 'pass', reason: `"${route.name}" has spec.enableNonSniClient: true`, fix: null }
        : {
            id: 'enable-non-sni-client',
            title: 'enableNonSniClient: true on that route',
            status: 'fail',
            reason:
              flag === undefined || flag === null
                ? `"${route.name}" has no spec.enableNonSniClient`
                : typeof flag === 'string'
                  ? `"${route.name}" has spec.enableNonSniClient: "${flag}", a string, not the boolean true`
                  : `"${route.name}" has spec.enableNonSniClient: ${JSON.stringify(flag)}`,
            fix: { language: 'yaml', text: `# kubectl -n ${namespace} edit apigeeroute ${route.name}\nspec:\n  enableNonSniClient: true\n` },
          },
  );

  // 3. Running.
  if (route === null) {
    checks.push({ id: 'route-running', title: 'That route is running', status: 'fail', reason: noRouteSee, fix: null });
  } else if (route.state?.toLowerCase() === 'running') {
    checks.push({ id: 'route-running', title: 'That route is running', status: 'pass', reason: `"${route.name}" has status.state: ${route.state}`, fix: null });
  } else {
    checks.push({
      id: 'route-running',
      title: 'That route is running',
      status: 'fail',
      reason:
        route.state === null
          ? `"${route.name}" has no status.state (a manifest rather than the output of kubectl get, or not reconciled yet)`
          : `"${route.name}" has status.state: ${route.state}, not running`,
      fix: {
        language: 'sh',
        text: [
          `kubectl -n ${namespace} get apigeeroute ${route.name} -o yaml   # status.state should be running`,
          `kubectl -n ${namespace} describe apigeeroute ${route.name}      # events of the validation and the controller`,
          `kubectl -n ${namespace} logs -l app=apigee-controller --tail=200 | grep -i ${route.name}`,
        ].join('\n'),
      },
    });
  }

  // 4. Named in additionalGateways of each virtualhost in overrides.yaml.
  const title4 = 'Named in additionalGateways of each virtualhost in overrides.yaml';
  if (overrides === null) {
    checks.push({ id: 'overrides-additional-gateways', title: title4, status: 'skip', reason: 'not checked: give --overrides overrides.yaml', fix: null });
  } else if (overrides.virtualhosts.length === 0) {
    checks.push({
      id: 'overrides-additional-gateways',
      title: title4,
      status: 'fail',
      reason: `${overrides.file} has no virtualhosts`,
      fix: { language: 'yaml', text: stringify({ virtualhosts: [{ name: 'ENVIRONMENT_GROUP', additionalGateways: [name] }] }) },
    });
  } else {
    const missing = overrides.virtualhosts.filter((v) => !v.additionalGateways.includes(name));
    const listed = [...new Set(overrides.virtualhosts.flatMap((v) => v.additionalGateways))];
    const overridesFix =
      `# in ${overrides.file}; then apply the virtualhost settings of each environment group:\n` +
      `#   helm upgrade ENV_GROUP apigee-virtualhost/ --namespace ${namespace} --atomic --set envgroup=ENV_GROUP -f overrides.yaml\n` +
      `#   (installed with apigeectl: apigeectl apply -f overrides.yaml --settings virtualhosts)\n` +
      stringify({ virtualhosts: (missing.length > 0 ? missing : overrides.virtualhosts).map((v) => ({ name: v.name, additionalGateways: [...v.additionalGateways.filter((g) => g !== name), name] })) });
    if (route !== null && missing.length === 0) {
      checks.push({
        id: 'overrides-additional-gateways',
        title: title4,
        status: 'pass',
        reason: `every virtualhost (${quoteList(overrides.virtualhosts.map((v) => v.name))}) lists "${name}" in additionalGateways`,
        fix: null,
      });
    } else if (route === null) {
      checks.push({
        id: 'overrides-additional-gateways',
        title: title4,
        status: 'fail',
        reason:
          missing.length === 0
            ? `every virtualhost lists "${name}", but ${noRouteSee}`
            : noRoute + (listed.length > 0 ? `; additionalGateways lists ${quoteList(listed)}, not a route with "*"` : '; no virtualhost has additionalGateways'),
        fix: missing.length === 0 ? null : { language: 'yaml', text: overridesFix },
      });
    } else {
      const others = missing.filter((v) => v.additionalGateways.length > 0);
      checks.push({
        id: 'overrides-additional-gateways',
        title: title4,
        status: 'fail',
        reason:
          `${quoteList(missing.map((v) => v.name))} ${missing.length === 1 ? 'does' : 'do'} not list "${name}" in additionalGateways` +
          (others.length > 0 ? ` (${others.map((v) => `${v.name} lists ${quoteList(v.additionalGateways)}`).join('; ')})` : ''),
        fix: { language: 'yaml', text: overridesFix },
      });
    }
  }

  // 5. In spec.additionalGateways of the environment group routes.
  const title5 = "In spec.additionalGateways of the environment group routes";
  if (envgroups.length === 0) {
    checks.push({
      id: 'envgroup-additional-gateways',
      title: title5,
      status: 'skip',
      reason: 'not checked: the routes file has no environment group route (all of kubectl -n apigee get apigeeroutes -o yaml lists them)',
      fix: null,
    });
  } else {
    const missing = envgroups.filter((r) => !r.additionalGateways.includes(name));
    checks.push(
      route !== null && missing.length === 0
        ? {
            id: 'envgroup-additional-gateways',
            title: title5,
            status: 'pass',
            reason: `${envgroups.length === 1 ? 'the environment group route' : `the ${envgroups.length} environment group routes`} (${quoteList(envgroups.map((r) => r.name))}) ${envgroups.length === 1 ? 'lists' : 'list'} "${name}"`,
            fix: null,
          }
        : {
            id: 'envgroup-additional-gateways',
            title: title5,
            status: 'fail',
            reason:
              route === null
                ? `${noRoute}; ${quoteList(missing.map((r) => r.name))} ${missing.length === 1 ? 'names' : 'name'} no such route in spec.additionalGateways`
                : `${quoteList(missing.map((r) => r.name))} ${missing.length === 1 ? 'does' : 'do'} not list "${name}" in spec.additionalGateways` +
                  ' (overrides.yaml not applied since the route was added?)',
            fix: {
              language: 'yaml',
              text:
                `# set from additionalGateways in overrides.yaml when the virtualhost settings are applied:\n` +
                `#   helm upgrade ENV_GROUP apigee-virtualhost/ --namespace ${namespace} --atomic --set envgroup=ENV_GROUP -f overrides.yaml\n` +
                `#   (installed with apigeectl: apigeectl apply -f overrides.yaml --settings virtualhosts)\n` +
                `# after which each environment group route has:\n` +
                missing.map((r) => stringify({ metadata: { name: r.name }, spec: { additionalGateways: [...r.additionalGateways, name] } })).join('---\n'),
            },
          },
    );
  }

  // 6. TLS settings.
  const title6 = 'TLS settings on that route';
  const tlsFix = (cred: string | null) =>
    stringify({ spec: { ports: [{ number: 443, protocol: 'HTTPS', tls: { credentialName: cred ?? 'CREDENTIAL_NAME', mode: 'SIMPLE', minProtocolVersion: 'TLS_AUTO' } }] } });
  if (route === null) {
    checks.push({ id: 'tls-settings', title: title6, status: 'fail', reason: noRouteSee, fix: null });
  } else {
    const tlsPorts = route.ports.filter((p) => p.tls !== null);
    const good = tlsPorts.find((p) => p.tls?.credentialName);
    if (good !== undefined && good.tls !== null) {
      const differs = envCredential !== null && good.tls.credentialName !== envCredential;
      checks.push({
        id: 'tls-settings',
        title: title6,
        status: 'pass',
        reason:
          `port ${good.number ?? '?'} ${good.protocol ?? ''}, tls.credentialName "${good.tls.credentialName ?? ''}"${good.tls.mode ? `, mode ${good.tls.mode}` : ''}` +
          (differs ? ` (the environment group routes use "${envCredential}": every host name shares one certificate, so check it covers them)` : ''),
        fix: null,
      });
    } else {
      checks.push({
        id: 'tls-settings',
        title: title6,
        status: 'fail',
        reason:
          route.ports.length === 0
            ? `"${route.name}" has no spec.ports`
            : tlsPorts.length === 0
              ? `"${route.name}" has no port with a tls block`
              : `"${route.name}" has a tls block without credentialName`,
        fix: { language: 'yaml', text: `# kubectl -n ${namespace} edit apigeeroute ${route.name}\n${tlsFix(envCredential)}` },
      });
    }
  }
  return { wildcardRoute: route?.name ?? null, roles, checks };
}
