// SPDX-License-Identifier: Apache-2.0
// The host-agent process: serves a shard of host models over gRPC. Configuration from flags,
// falling back to environment variables:
//   --template / IOFLEET_AGENT_TEMPLATE   host file every host of the shard is booted from (required)
//   --hosts / IOFLEET_AGENT_HOSTS         how many hosts (default 1)
//   --first / IOFLEET_AGENT_FIRST         index of the first host (default 0): ids <prefix>-<index>
//   --prefix / IOFLEET_AGENT_PREFIX       host id prefix (default: the template's name)
//   --listen / IOFLEET_AGENT_LISTEN       gRPC address (default 127.0.0.1:7071; port 0 = any free)
//   --tls-cert, --tls-key / IOFLEET_AGENT_TLS_CERT, _KEY      serve TLS
//   --tls-client-ca / IOFLEET_AGENT_TLS_CLIENT_CA             require client certificates (mTLS)
//   --drain-ms / IOFLEET_AGENT_DRAIN_MS   longest a SIGTERM drain may take (default 10000)
//   --metrics / IOFLEET_AGENT_METRICS     serve Prometheus metrics at http://<host:port>/metrics
//   --plugin / IOFLEET_AGENT_PLUGINS      third-party device plugin modules (repeatable / comma-separated),
//                                         beside the built-in ones the CLI loads too
// The scheduler lists agents statically (--agents) and heartbeats them with GetInventory.
// On SIGTERM or SIGINT the agent drains: new calls get UNAVAILABLE, in-flight calls finish.
import { parseArgs } from 'node:util';
import { flagOrEnvNumber } from '@iofleet/errors';
import { isHostError } from '@iofleet/host';
import { pluginRegistry } from '@iofleet/plugin-registry';
import { drainOnSignals, IofleetMetrics, startMetricsServer, tracingFromEnv } from '@iofleet/telemetry';
import { SERVICE_HOST_AGENT } from '@iofleet/vocabulary';
import { startAgentServer } from './server';
import { loadShard, MAX_HOSTS_PER_AGENT } from './shard';

const HELP = `iofleet host agent: serves simulated hosts over gRPC (HostAgent service)

Options:
  --template <host.yaml>   host file to boot every host from [IOFLEET_AGENT_TEMPLATE]
  --hosts <n>              hosts in this shard [IOFLEET_AGENT_HOSTS, default 1]
  --first <i>              index of the first host [IOFLEET_AGENT_FIRST, default 0]
  --prefix <id>            host id prefix [IOFLEET_AGENT_PREFIX, default: the host's name]
  --listen <host:port>     gRPC address [IOFLEET_AGENT_LISTEN, default 127.0.0.1:7071]
  --tls-cert <file>        server certificate (PEM) [IOFLEET_AGENT_TLS_CERT]
  --tls-key <file>         server key (PEM) [IOFLEET_AGENT_TLS_KEY]
  --tls-client-ca <file>   CA for client certificates: mutual TLS [IOFLEET_AGENT_TLS_CLIENT_CA]
  --drain-ms <n>           SIGTERM drain limit [IOFLEET_AGENT_DRAIN_MS, default 10000]
  --metrics <host:port>    serve Prometheus metrics at /metrics [IOFLEET_AGENT_METRICS]
  --plugin <module>        load device plugins from a module (path or package; repeatable),
                           beside the built-in nvme, nic, gpu, pciebench [IOFLEET_AGENT_PLUGINS, comma-separated]
  -h, --help               show this help
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      template: { type: 'string' },
      hosts: { type: 'string' },
      first: { type: 'string' },
      prefix: { type: 'string' },
      listen: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-client-ca': { type: 'string' },
      'drain-ms': { type: 'string' },
      metrics: { type: 'string' },
      plugin: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const env = process.env;
  const template = values.template ?? env.IOFLEET_AGENT_TEMPLATE;
  if (!template) throw new Error('--template (or IOFLEET_AGENT_TEMPLATE) is required: the host file to serve');
  const cert = values['tls-cert'] ?? env.IOFLEET_AGENT_TLS_CERT;
  const key = values['tls-key'] ?? env.IOFLEET_AGENT_TLS_KEY;
  const clientCa = values['tls-client-ca'] ?? env.IOFLEET_AGENT_TLS_CLIENT_CA;
  if (!!cert !== !!key) throw new Error('--tls-cert and --tls-key go together');
  if (clientCa && !cert) throw new Error('--tls-client-ca needs --tls-cert and --tls-key');
  const prefix = values.prefix ?? env.IOFLEET_AGENT_PREFIX;
  const metricsListen = values.metrics ?? env.IOFLEET_AGENT_METRICS;
  const metrics = metricsListen ? new IofleetMetrics(SERVICE_HOST_AGENT) : undefined;
  const pluginModules = values.plugin ?? (env.IOFLEET_AGENT_PLUGINS ?? '').split(',').filter(Boolean);
  const backends = loadShard({
    ...(metrics && { metrics }),
    plugins: pluginRegistry(pluginModules),
    template,
    hosts: flagOrEnvNumber('hosts', values.hosts, 'IOFLEET_AGENT_HOSTS', { min: 1, max: MAX_HOSTS_PER_AGENT }, 1),
    first: flagOrEnvNumber('first', values.first, 'IOFLEET_AGENT_FIRST', { min: 0, max: 1e9 }, 0),
    ...(prefix && { prefix }),
  });
  const tracing = tracingFromEnv(SERVICE_HOST_AGENT);
  const agent = await startAgentServer(backends, {
    listen: values.listen ?? env.IOFLEET_AGENT_LISTEN ?? '127.0.0.1:7071',
    drainTimeoutMs: flagOrEnvNumber(
      'drain-ms',
      values['drain-ms'],
      'IOFLEET_AGENT_DRAIN_MS',
      { min: 0, max: 600_000 },
      10_000,
    ),
    ...(cert && key && { tls: { cert, key, ...(clientCa && { clientCa }) } }),
  });
  const served = metrics && metricsListen ? await startMetricsServer(metrics, metricsListen) : null;
  // The first line says where to connect (tests and scripts read it).
  process.stdout.write(
    `host agent listening on ${agent.address}, ${backends.length} host(s): ${backends[0]!.hostId}${backends.length > 1 ? ` .. ${backends.at(-1)!.hostId}` : ''}${served ? `, metrics on ${served.address}` : ''}\n`,
  );
  drainOnSignals(
    () => agent.stop(),
    tracing,
    (sig) => process.stdout.write(`${sig}: draining\n`),
  );
}

main().catch((e: unknown) => {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`error: ${isHostError(e) ? msg.split('\n')[0] : msg}\n`);
  process.exit(1);
});
