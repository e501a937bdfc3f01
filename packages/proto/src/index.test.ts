// SPDX-License-Identifier: Apache-2.0
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import * as api from './index';

const GEN = join(__dirname, 'gen', 'iofleet', 'v1');

describe('@iofleet/proto', () => {
  it('exports every value the generator produced', () => {
    for (const f of readdirSync(GEN)) {
      const text = readFileSync(join(GEN, f), 'utf8');
      for (const m of text.matchAll(/^export (?:const|enum|function) (\w+)/gm)) {
        if (m[1] !== 'protobufFileName') expect(api, `${f}: ${m[1]}`).toHaveProperty(m[1]!);
      }
    }
  });

  it('round-trips a request with 64-bit fields and serves it over a real loopback socket', async () => {
    const server = new grpc.Server();
    server.addService(api.HostAgentService, {
      health: (_call: unknown, cb: grpc.sendUnaryData<api.HealthResponse>) =>
        cb(null, { serving: true, hostIds: ['h0'] }),
    } as unknown as api.HostAgentServer);
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    const client = new api.HostAgentClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.enable_http_proxy': 0,
    });
    try {
      const r = await new Promise<api.HealthResponse>((res, rej) =>
        client.health({}, new grpc.Metadata(), { deadline: new Date(Date.now() + 5000) }, (e, v) =>
          e ? rej(e) : res(v),
        ),
      );
      expect(r).toEqual({ serving: true, hostIds: ['h0'] });
      const bytes = api.RunWorkloadRequest.encode({
        hostId: 'h',
        deviceId: 'd',
        plugin: 'nvme',
        options: {},
        mode: api.IommuMode.IOMMU_MODE_STRICT,
        durationNs: 2n ** 40n,
        path: 0,
        seed: 7n,
      }).finish();
      expect(api.RunWorkloadRequest.decode(bytes).durationNs).toBe(2n ** 40n);
    } finally {
      client.close();
      await new Promise<void>((r) => server.tryShutdown(() => r()));
    }
  });
});
