// SPDX-License-Identifier: Apache-2.0
import { nicPlugin } from '@iofleet/plugin-nic';
import { TestEnvironment } from '@iofleet/sdk/testing';
import { it } from 'vitest';
it('measure', () => {
  for (const mode of ['pt', 'lazy', 'strict'] as const)
    for (const m of ['map', 'pagepool'])
      for (const dir of ['rx', 'tx']) {
        const env = new TestEnvironment(nicPlugin, { mode, options: { mode: m, dir } });
        env.probe();
        const r = env.run({ maxIos: 2000 });
        console.log(mode, m, dir, JSON.stringify(r), env.maps.filter((x) => x.kind === 'single').length, env.unmappedAccesses);
        env.remove();
      }
});
