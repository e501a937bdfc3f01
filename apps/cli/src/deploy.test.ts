// SPDX-License-Identifier: Apache-2.0
// The deployment files (deploy/) checked as far as a machine without Docker or Kubernetes
// allows (the image itself: deploy-image.test.ts): they parse; every flag they give the scheduler and the agents is one the app's --help
// lists; ports agree between commands, containers, services and the compose port maps; selectors
// match labels; the host files they serve exist; traces go to the Jaeger they define.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = join(__dirname, '..', '..', '..');
const DEPLOY = join(ROOT, 'deploy');
/** The launchers the image runs (deploy/Dockerfile: the apps' bundles, no tsx). */
const SCHEDULER = 'apps/scheduler/bin/iofleet-scheduler.cjs';
const AGENT = 'apps/host-agent/bin/iofleet-host-agent.cjs';
const CLI = 'apps/cli/bin/iofleet.cjs';
const MAINS: Record<string, string> = { [SCHEDULER]: '', [AGENT]: '', [CLI]: '' };
/** The app's --help, as the image's launcher prints it; for the CLI, the help of the subcommand the args start with. */
const helpOf = (main: string, args: readonly string[] = []) => {
  const sub = main === CLI ? [args[0]!] : [];
  const key = [main, ...sub].join(' ');
  if (!MAINS[key])
    MAINS[key] = execFileSync(process.execPath, [join(ROOT, main), ...sub, '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
  return MAINS[key]!;
};
const flags = (args: readonly string[]) => args.filter((a) => a.startsWith('--'));
const arg = (args: readonly string[], f: string) => (args.includes(f) ? args[args.indexOf(f) + 1] : undefined);
const portOf = (addr: string | undefined) => Number(addr?.split(':').at(-1));

interface Service {
  image?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: string[];
}

describe('deploy/docker-compose.yml', () => {
  const compose = parse(readFileSync(join(DEPLOY, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, Service>;
  };
  const apps = Object.entries(compose.services).filter(([, s]) => s.command?.[0]?.startsWith('apps/'));

  it('runs Redis, Jaeger with OTLP, the scheduler and several host agents', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['redis', 'jaeger', 'scheduler']));
    expect(apps.filter(([, s]) => s.command![0] === AGENT).length).toBeGreaterThanOrEqual(2);
    expect(compose.services.jaeger!.environment?.COLLECTOR_OTLP_ENABLED).toBe('true');
    expect(existsSync(join(DEPLOY, 'Dockerfile'))).toBe(true);
  });

  it('passes only flags the apps know, and ports, hosts and files that agree', () => {
    for (const [name, s] of apps) {
      const [main, ...args] = s.command!;
      expect(MAINS, name).toHaveProperty([main!]);
      const help = helpOf(main!, args);
      for (const f of flags(args)) expect(help, `${name}: ${f}`).toContain(f);
      const listen = portOf(arg(args, '--listen'));
      const metrics = portOf(arg(args, '--metrics'));
      for (const p of s.ports ?? []) expect([listen, metrics], `${name}: ${p}`).toContain(Number(p.split(':')[1]));
      const template = arg(args, '--template');
      if (template) expect(existsSync(join(ROOT, template)), template).toBe(true);
      if (main !== CLI) expect(s.environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4317');
      else expect(arg(args, '--redis')).toBe('redis://redis:6379');
    }
    const sched = compose.services.scheduler!.command!;
    for (const a of arg(sched, '--agents')!.split(',')) {
      const [host, port] = a.split(':');
      const agent = compose.services[host!];
      expect(agent, a).toBeDefined();
      expect(portOf(arg(agent!.command!, '--listen'))).toBe(Number(port));
    }
    expect(arg(sched, '--redis')).toBe('redis://redis:6379');
  });
});

describe('deploy/k8s', () => {
  const docs = ['redis.yaml', 'jaeger.yaml', 'host-agent.yaml', 'scheduler.yaml', 'worker.yaml'].flatMap((f) =>
    parseAllDocuments(readFileSync(join(DEPLOY, 'k8s', f), 'utf8')).map((d) => {
      expect(d.errors, f).toEqual([]);
      return d.toJS();
    }),
  );
  const workloads = docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet');
  const services = docs.filter((d) => d.kind === 'Service');
  const containersOf = (w: (typeof workloads)[number]) =>
    w.spec.template.spec.containers as {
      name: string;
      args: string[];
      ports: { name: string; containerPort: number }[];
    }[];

  it('has the scheduler Deployment, the host-agent StatefulSet, Redis and Jaeger, listed in the kustomization', () => {
    expect(workloads.map((w) => `${w.kind}/${w.metadata.name}`).sort()).toEqual([
      'Deployment/jaeger',
      'Deployment/redis',
      'Deployment/scheduler',
      'Deployment/worker',
      'StatefulSet/host-agent',
    ]);
    const k = parse(readFileSync(join(DEPLOY, 'k8s', 'kustomization.yaml'), 'utf8'));
    for (const r of k.resources) expect(existsSync(join(DEPLOY, 'k8s', r)), r).toBe(true);
  });

  it('selects its pods by their labels and targets ports the containers open', () => {
    for (const w of workloads)
      for (const [k, v] of Object.entries(w.spec.selector.matchLabels))
        expect(w.spec.template.metadata.labels[k]).toBe(v);
    for (const s of services) {
      const w = workloads.find((x) =>
        Object.entries(s.spec.selector).every(([k, v]) => x.spec.template.metadata.labels[k] === v),
      );
      expect(w, s.metadata.name).toBeDefined();
      const names = containersOf(w!).flatMap((c) => c.ports.map((p) => p.name));
      for (const p of s.spec.ports) expect(names, `${s.metadata.name}:${p.name}`).toContain(p.targetPort);
    }
  });

  it('gives the apps only flags they know, and the scheduler the agents the StatefulSet makes', () => {
    const sched = workloads.find((w) => w.metadata.name === 'scheduler')!;
    const [main, ...args] = containersOf(sched)[0]!.args;
    for (const f of flags(args)) expect(helpOf(main!), f).toContain(f);
    const agents = workloads.find((w) => w.metadata.name === 'host-agent')!;
    const agentCmd = containersOf(agents)[0]!.args.join(' ');
    // The app's own flags: those after its launcher (node's own options would come before).
    expect(agentCmd).toMatch(new RegExp(`^exec node ${AGENT} `));
    const appArgs = agentCmd.slice(agentCmd.indexOf(AGENT));
    for (const f of appArgs.match(/--[a-z-]+/g) ?? []) expect(helpOf(AGENT), f).toContain(f);
    expect(existsSync(join(ROOT, /--template (\S+)/.exec(agentCmd)![1]!))).toBe(true);
    const grpcPort = containersOf(agents)[0]!.ports.find((p) => p.name === 'grpc')!.containerPort;
    for (const a of arg(args, '--agents')!.split(',')) {
      const m = /^host-agent-(\d+)\.host-agent:(\d+)$/.exec(a)!;
      expect(m, a).not.toBeNull();
      expect(Number(m[1])).toBeLessThan(agents.spec.replicas);
      expect(Number(m[2])).toBe(grpcPort);
    }
    expect(agents.spec.serviceName).toBe('host-agent');
  });

  it('runs device-workload workers with flags the worker command of the CLI knows, against the Redis Service', () => {
    const w = workloads.find((x) => x.metadata.name === 'worker')!;
    const [main, ...args] = containersOf(w)[0]!.args;
    expect(main).toBe(CLI);
    expect(args[0]).toBe('worker');
    for (const f of flags(args)) expect(helpOf(main!, args), f).toContain(f);
    const redisSvc = services.find((x) => x.metadata.name === 'redis')!;
    expect(arg(args, '--redis')).toBe(`redis://redis:${redisSvc.spec.ports[0].port}`);
  });

  it('probes the agents and the scheduler with gRPC health checks on their gRPC ports', () => {
    for (const name of ['host-agent', 'scheduler']) {
      const [c] = containersOf(workloads.find((w) => w.metadata.name === name)!) as {
        ports: { name: string; containerPort: number }[];
        readinessProbe?: { grpc?: { port: number } };
        livenessProbe?: { grpc?: { port: number } };
      }[];
      const grpcPort = c!.ports.find((p) => p.name === 'grpc')!.containerPort;
      // Kubernetes' grpc probe takes a port number (a named port is not allowed there).
      expect(c!.readinessProbe?.grpc?.port, name).toBe(grpcPort);
      expect(c!.livenessProbe?.grpc?.port, name).toBe(grpcPort);
    }
  });
});
