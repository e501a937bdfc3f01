// SPDX-License-Identifier: Apache-2.0
// The VmSpec the scheduler's tests submit: 2 vCPUs, 1 GiB, one device of `deviceClass`, no
// placement constraints (written once for the integration, fault and observability tests).
import type { VmSpec } from '@iofleet/proto';

export function testVmSpec(deviceClass: string, alias = 'd'): VmSpec {
  return {
    vcpus: 2,
    memoryMib: 1024n,
    devices: [{ alias, deviceClass, vendor: '', product: '', count: 1, allowVf: false }],
    numaPolicy: 0,
    colocate: [],
    antiAffinityGroup: '',
    acceptableModes: [],
  };
}
