// SPDX-License-Identifier: Apache-2.0
// A device's PCIe extended configuration space (4 KiB, PCIe Base Spec 7.2): vendor and device ids
// at offsets 0 and 2 (read-only), every other register plain read/write storage. Simplification:
// no capability list semantics (a plugin stores what it likes there); unimplemented registers read 0.

import { type ConfigSpace, type DeviceInfo, SdkError } from '@iofleet/sdk';

const CONFIG_BYTES = 4096;

export function configSpace(info: DeviceInfo): ConfigSpace {
  const regs = new DataView(new ArrayBuffer(CONFIG_BYTES));
  regs.setUint16(0, Number.parseInt(info.vendor ?? 'ffff', 16), true);
  regs.setUint16(2, Number.parseInt(info.device ?? 'ffff', 16), true);
  const check = (o: number, size: number) => {
    if (!Number.isInteger(o) || o < 0 || o + size > CONFIG_BYTES || o % size !== 0)
      throw new SdkError('PLUGIN_FAULT', `${info.bdf}: config access at ${o} size ${size} is outside or unaligned`);
  };
  return {
    read(o, size) {
      check(o, size);
      return size === 1 ? regs.getUint8(o) : size === 2 ? regs.getUint16(o, true) : regs.getUint32(o, true);
    },
    write(o, size, v) {
      check(o, size);
      if (o < 4) return; // vendor and device ids are read-only
      if (size === 1) regs.setUint8(o, v);
      else if (size === 2) regs.setUint16(o, v, true);
      else regs.setUint32(o, v >>> 0, true);
    },
  };
}
