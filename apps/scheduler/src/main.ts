// SPDX-License-Identifier: Apache-2.0
// The scheduler process. Configuration from flags, falling back to environment variables:
//   --listen / IOFLEET_SCHEDULER_LISTEN   (default 127.0.0.1:7070)
//   --redis  / IOFLEET_REDIS_URL          (redis://[:password@]host:port[/db]; required)
//   --agents / IOFLEET_AGENTS             (comma-separated host-agent addresses)
//   --heartbeat-ms / IOFLEET_HEARTBEAT_MS (default 1000)
//   --lock-ms / IOFLEET_LOCK_MS           job lock: how soon a crashed worker's job moves on (default 30000)
//   --concurrency / IOFLEET_CONCURRENCY   attach jobs at once (default 8)
//   --metrics / IOFLEET_SCHEDULER_METRICS serve Prometheus metrics at http://<host:port>/metrics
//   --namespace / IOFLEET_NAMESPACE       Redis key/queue namespace (default iofleet): systems sharing a Redis differ here
//   --startup-wait-ms / IOFLEET_STARTUP_WAIT_MS  how long startup waits for every agent to answer (default 30000)
//   --agent-ca, --agent-cert, --agent-key / IOFLEET_AGENT_CA, _CERT, _KEY  TLS (mutual with cert) to agents
// Drains on SIGTERM: stops serving, lets running jobs finish, closes Redis connections.
import { parseArgs } from 'node:util';
import { flagOrEnvNumber } from '@iofleet/errors';
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN } from '@iofleet/jobs';
import { drainOnSignals, tracingFromEnv } from '@iofleet/telemetry';
import { SERVICE_SCHEDULER } from '@iofleet/vocabulary';
import { startScheduler } from './scheduler';

const HELP = `iofleet scheduler: places VMs by IOMMU group and drives host agents

Options:
  --listen <host:port>     gRPC listen address [IOFLEET_SCHEDULER_LISTEN, default 127.0.0.1:7070]
  --redis <url>            Redis URL, with password if any [IOFLEET_REDIS_URL]
  --agents <a,b,...>       host-agent addresses [IOFLEET_AGENTS]
  --heartbeat-ms <n>       agent heartbeat period [IOFLEET_HEARTBEAT_MS, default 1000]
  --lock-ms <n>            job lock; a crashed worker's job moves on after it [IOFLEET_LOCK_MS, default 30000]
  --concurrency <n>        attach jobs run at once [IOFLEET_CONCURRENCY, default 8]
  --metrics <host:port>    serve Prometheus metrics at /metrics [IOFLEET_SCHEDULER_METRICS]
  --namespace <ns>         Redis key, queue and channel namespace [IOFLEET_NAMESPACE, default iofleet]
  --startup-wait-ms <n>    wait this long for every agent to answer before serving [IOFLEET_STARTUP_WAIT_MS, default 30000]
  --agent-ca <file>        CA of the agents' certificates: talk TLS to them [IOFLEET_AGENT_CA]
  --agent-cert <file>      client certificate for mutual TLS [IOFLEET_AGENT_CERT]
  --agent-key <file>       client key for mutual TLS [IOFLEET_AGENT_KEY]
  -h, --help               show this help
`;

/** Times in ms: above 0, at most an hour. */
const MS_RANGE = { min: 0, max: 3_600_000, above: true } as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string' },
      redis: { type: 'string' },
      agents: { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'lock-ms': { type: 'string' },
      concurrency: { type: 'string' },
      metrics: { type: 'string' },
      namespace: { type: 'string' },
      'startup-wait-ms': { type: 'string' },
      'agent-ca': { type: 'string' },
      'agent-cert': { type: 'string' },
      'agent-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const env = process.env;
  const redisUrl = values.redis ?? env.IOFLEET_REDIS_URL;
  if (!redisUrl) throw new Error('--redis (or IOFLEET_REDIS_URL) is required');
  const agents = (values.agents ?? env.IOFLEET_AGENTS ?? '').split(',').filter(Boolean);
  const heartbeatMs = flagOrEnvNumber('heartbeat-ms', values['heartbeat-ms'], 'IOFLEET_HEARTBEAT_MS', MS_RANGE, 1000);
  const lockMs = flagOrEnvNumber(
    'lock-ms',
    values['lock-ms'],
    'IOFLEET_LOCK_MS',
    { ...MS_RANGE, min: 100, above: false },
    30_000,
  );
  const concurrency = flagOrEnvNumber(
    'concurrency',
    values.concurrency,
    'IOFLEET_CONCURRENCY',
    { min: 1, max: 1024 },
    8,
  );
  const namespace = values.namespace ?? env.IOFLEET_NAMESPACE ?? DEFAULT_NAMESPACE;
  if (!NAMESPACE_PATTERN.test(namespace))
    throw new Error(`--namespace must match ${NAMESPACE_PATTERN} (letters, digits, . _ - :), got '${namespace}'`);
  const startupWaitMs = flagOrEnvNumber(
    'startup-wait-ms',
    values['startup-wait-ms'],
    'IOFLEET_STARTUP_WAIT_MS',
    { ...MS_RANGE, above: false },
    30_000,
  );
  const ca = values['agent-ca'] ?? env.IOFLEET_AGENT_CA;
  const cert = values['agent-cert'] ?? env.IOFLEET_AGENT_CERT;
  const key = values['agent-key'] ?? env.IOFLEET_AGENT_KEY;
  if ((cert || key) && !(ca && cert && key))
    throw new Error('--agent-cert and --agent-key need each other and --agent-ca');
  const tracing = tracingFromEnv(SERVICE_SCHEDULER);
  const metricsListen = values.metrics ?? env.IOFLEET_SCHEDULER_METRICS;
  const s = await startScheduler({
    ...(metricsListen && { metricsListen }),
    lockMs,
    concurrency,
    namespace,
    startupWaitMs,
    ...(ca && { agentTls: { ca, ...(cert && key && { cert, key }) } }),
    redisUrl,
    agents,
    heartbeatMs,
    listen: values.listen ?? env.IOFLEET_SCHEDULER_LISTEN ?? '127.0.0.1:7070',
  });
  process.stdout.write(
    `scheduler listening on ${s.address}, ${agents.length} agent(s)${s.metricsAddress ? `, metrics on ${s.metricsAddress}` : ''}\n`,
  );
  drainOnSignals(() => s.stop(), tracing);
}

main().catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
