// SPDX-License-Identifier: Apache-2.0
// A device as a guest sees it, in the two models the seed paper compares:
// - 'vfio': the physical function assigned to the VM (its whole group, as VFIO requires); the
//   guest driver's DMA API is dma-direct (no vIOMMU: DMA address = GPA) and the device's accesses
//   go GPA -> HPA through the host unit's UNMANAGED domain (IOTLB and walks charged as usual).
// - 'emulated': the hypervisor implements the device. Every request traps (a VM exit on the
//   doorbell write), the VMM walks the request, translates each guest page in software and copies
//   the data, then injects the completion interrupt. Those costs are charged to the CPU and to the
//   I/O's latency by the constants below — assumptions, not measurements (docs/host.md): the
//   published measurements at hand cover assigned devices and emulated IOMMUs, not a device
//   emulation cost.

import { COST_SOFTWARE, DirectDmaOps, DmaSim, dmaDevice, newTranslationOut, type SimTracer } from '@iofleet/core';
import type { WorkloadHooks } from '@iofleet/sdk';
import { DeviceRuntime } from '@iofleet/sdk/runtime';
import { fullName, type HostDevice, type HostImpl } from '../boot/host';
import { Vm } from './vm';

export type GuestDeviceModel = 'vfio' | 'emulated';

/** Guest RAM of the VM a guest device runs in, MiB. */
export const GUEST_MEMORY_MIB = 512;

export const EMULATION_COST = {
  /** VM exit + entry for the doorbell MMIO write (KVM ioeventfd fast path), ns. Assumption. */
  vmExitNs: 1_500,
  /** VMM device model: pop the request from the ring, dispatch to the backend, ns. Assumption. */
  dispatchNs: 6_000,
  /** Software GPA -> host translation per guest page (memory-region lookup), ns. Assumption. */
  translatePageNs: 30,
  /** Copy between guest buffer and backend, ns per byte (≈10 GB/s per core). Assumption. */
  copyNsPerByte: 0.1,
  /** Completion interrupt injection into the guest, ns. Assumption. */
  injectIrqNs: 1_000,
} as const;

export interface GuestDevice {
  sim: DmaSim;
  runtime: DeviceRuntime;
  vm: Vm;
  /** Wraps the plugin's workload with the hypervisor's costs (identity for 'vfio'). */
  wrap(w: WorkloadHooks): WorkloadHooks;
}

export function guestDevice(
  host: HostImpl,
  dev: HostDevice,
  model: GuestDeviceModel,
  cpus: number,
  tracer?: SimTracer,
): GuestDevice {
  const vm = new Vm(host, { name: `guest-${model}`, memoryMiB: GUEST_MEMORY_MIB });
  if (model === 'vfio') {
    const group = dev.group?.functions.filter((f) => f.kind === 'endpoint' || f.kind === 'pciEndpoint') ?? [dev.fn];
    vm.assign(group.map(fullName));
  }
  // The guest: its own CPUs and clock, DMA buffers from guest RAM (GPAs above 1 MiB).
  const sim = new DmaSim({
    cpuCount: cpus,
    profile: host.sim.cost.profile,
    bufferBasePa: 0x10_0000,
    bufferLimitPa: vm.memBytes,
  });
  const ops = new DirectDmaOps(sim, dmaDevice({ name: fullName(dev.fn) }));
  const soft = newTranslationOut();
  const runtime = new DeviceRuntime({
    sim,
    ops,
    ...(tracer && {
      tracer,
      trace: { host: host.desc.name, mode: model, domainId: vm.domainOf(fullName(dev.fn))?.domainId ?? -1 },
    }),
    info: {
      bdf: fullName(dev.fn),
      vendor: dev.fn.desc.vendor,
      device: dev.fn.desc.device,
      class: dev.fn.desc.class,
      numaNode: 0,
      isVirtualFunction: !!dev.fn.desc.virtfnOf,
      translated: model === 'vfio',
    },
    access:
      model === 'vfio'
        ? (gpa, write) => host.dmaAccess(dev, gpa, write)
        : (gpa) => {
            const hpa = vm.gpaToHpa(gpa);
            soft.ok = hpa >= 0;
            soft.pa = hpa;
            soft.iotlbHit = false;
            soft.memReads = 0;
            soft.fault = null;
            return soft;
          },
  });
  const c = EMULATION_COST;
  const wrap = (w: WorkloadHooks): WorkloadHooks => {
    if (model === 'vfio') return w;
    const stats = runtime.stats;
    return {
      ...w,
      start: w.start?.bind(w),
      stop: w.stop?.bind(w),
      submit: (seq) => {
        const io = w.submit(seq);
        sim.cost.charge(sim.cpus.current, COST_SOFTWARE, c.vmExitNs);
        return io;
      },
      device: (io) => {
        const pages0 = stats.pages;
        w.device(io);
        // The VMM does in software what the device did: per page a lookup, the bytes copied.
        const soft = c.dispatchNs + (stats.pages - pages0) * c.translatePageNs + io.bytes * c.copyNsPerByte;
        sim.cost.charge(sim.cpus.current, COST_SOFTWARE, soft);
        stats.ioNs += soft + c.injectIrqNs;
      },
      complete: (io) => w.complete(io),
    };
  };
  return { sim, runtime, vm, wrap };
}
