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
// - 'viommu': assigned through VFIO, and the guest's kernel translates too, through a virtio-iommu
//   (./virtio-iommu.ts): a strict DMA domain whose every map and unmap is a request to the VMM and
//   a VFIO ioctl on the host (Linux sets strict for a paravirtual IOMMU whose maps trap, as it
//   does for VT-d caching mode).
// - 'viommu-lazy': the same guest with iommu.strict=0: a flush-queue (DMA-FQ) domain over the
//   virtio-iommu, which reports IOMMU_CAP_DEFERRED_FLUSH since Linux 6.7 ("iommu/virtio: Add
//   ops->flush_iotlb_all and enable deferred flush"): maps still wait for their request, unmaps are
//   queued and sent with one sync per flush-queue flush (./virtio-iommu.ts).
// - 'viommu-bounce': the same guest with David Stevens's "dynamic iommu backed bounce buffers"
//   (R14): the guest bounces each buffer through a pool mapped once through the virtio-iommu, so
//   per I/O it copies instead of trapping. Modelled as swiotlb=force on a pool the container maps
//   once, IOVA = GPA (the patch's pool grows on demand; in steady state it is mapped).

import type { Iova, SimTracer } from '@iofleet/core';
import { COST_SOFTWARE } from '@iofleet/core/cost';
import { newTranslationOut } from '@iofleet/core/hardware';
import {
  DirectDmaOps,
  type DmaOps,
  DmaSim,
  dmaDevice,
  IO_TLB_DEFAULT_SIZE,
  IommuDmaCookie,
  IommuDmaOps,
  SwiotlbPool,
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_WRITE,
  X86_MSI_RESERVED,
} from '@iofleet/core/linux';
import type { WorkloadHooks } from '@iofleet/sdk';
import { DeviceRuntime } from '@iofleet/sdk-runtime';
import { fullName, type HostDevice, type HostImpl } from '../boot/host';
import { isEndpointKind } from '../boot/inventory';
import { unitWalkers } from '../devices/plugin-devices';
import type { GuestDeviceModel } from '../workload/run-modes';
import { VirtioIommuDomain } from './virtio-iommu';
import { Vm } from './vm';

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

/**
 * An assigned device's interrupt without posted interrupts: the host takes it and KVM injects it,
 * and the guest's EOI write exits — one VM exit (EMULATION_COST.vmExitNs) charged to the vCPU
 * that completes the I/O. With posted interrupts (the default, servers) nothing is charged.
 */
export const UNPOSTED_IRQ_NS = EMULATION_COST.vmExitNs;

export interface GuestDevice {
  sim: DmaSim;
  runtime: DeviceRuntime;
  vm: Vm;
  /** Wraps the plugin's workload with the hypervisor's costs (identity for an assigned device with posted interrupts). */
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
  const assigned = model !== 'emulated';
  const viommu = model === 'viommu' || model === 'viommu-lazy' || model === 'viommu-bounce';
  if (assigned) {
    const group = dev.group?.functions.filter((f) => isEndpointKind(f.kind)) ?? [dev.fn];
    vm.assign(group.map(fullName), { viommu });
  }
  // The guest: its own CPUs and clock, DMA buffers from guest RAM (GPAs above 1 MiB); with
  // bounce buffers the pool takes the top of guest RAM.
  const poolBytes = model === 'viommu-bounce' ? IO_TLB_DEFAULT_SIZE : 0;
  const sim = new DmaSim({
    cpuCount: cpus,
    profile: host.sim.cost.profile,
    bufferBasePa: 0x10_0000,
    bufferLimitPa: vm.memBytes - poolBytes,
  });
  const info = dmaDevice({ name: fullName(dev.fn) });
  let ops: DmaOps;
  const vc = viommu ? vm.containerOf(fullName(dev.fn))! : null;
  if (model === 'viommu' || model === 'viommu-lazy') {
    const domain = new VirtioIommuDomain(sim, vc!.container, { domain: vc!.domain, sim: host.sim });
    ops = new IommuDmaOps(new IommuDmaCookie(sim, domain, { mode: model === 'viommu' ? 'strict' : 'lazy' }), info);
  } else if (model === 'viommu-bounce') {
    // Streaming mappings bounce through the pool (mapped once, IOVA = GPA, kept out of the IOVA
    // allocator); coherent memory still goes through the virtio-iommu, once, at allocation.
    const basePa = vm.memBytes - poolBytes;
    const pool = new SwiotlbPool(sim.mem, { cpuCount: cpus, basePa, log: (l) => sim.printk(l) });
    vc!.container.mapDma(basePa, basePa as Iova, poolBytes, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    const domain = new VirtioIommuDomain(sim, vc!.container, { domain: vc!.domain, sim: host.sim });
    const reservedRegions = [X86_MSI_RESERVED, [basePa, basePa + poolBytes - 1] as const];
    const iommu = new IommuDmaOps(new IommuDmaCookie(sim, domain, { mode: 'strict', reservedRegions }), info);
    const bounce = new DirectDmaOps(sim, info, pool, true);
    const both: DmaOps = {
      mode: 'iommu',
      /** dma_set_mask() reaches the device both halves share. */
      setMask: (bits) => {
        info.dmaBits = bits;
      },
      mapPage: (pa, size, dir) => bounce.mapPage(pa, size, dir),
      unmapPage: (a, size, dir) => bounce.unmapPage(a, size, dir),
      mapSg: (sg, dir) => bounce.mapSg(sg, dir),
      unmapSg: (sg, dir) => bounce.unmapSg(sg, dir),
      syncSingleForCpu: (a, size, dir) => bounce.syncSingleForCpu(a, size, dir),
      syncSingleForDevice: (a, size, dir) => bounce.syncSingleForDevice(a, size, dir),
      allocCoherent: (size) => iommu.allocCoherent(size),
      freeCoherent: (size, pa, a) => iommu.freeCoherent(size, pa, a),
    };
    ops = both;
  } else ops = new DirectDmaOps(sim, info);
  const soft = newTranslationOut();
  /** Interrupts raised by the device and not yet taken by a completion (no posted interrupts). */
  let irqs = 0;
  const unposted = assigned && !host.desc.iommu.postedInterrupts;
  const runtime = new DeviceRuntime({
    sim,
    ops,
    ...(unposted && { observer: { onIrq: () => irqs++ } }),
    // An assigned device walks the host unit's tables on the host unit's walkers.
    ...(assigned && { walkers: unitWalkers(host, dev) }),
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
      translated: assigned,
    },
    access: assigned
      ? (addr, write) => host.dmaAccess(dev, addr, write)
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
    if (unposted)
      return {
        ...w,
        start: w.start?.bind(w),
        stop: w.stop?.bind(w),
        complete: (io) => {
          sim.cost.charge(sim.cpus.current, COST_SOFTWARE, irqs * UNPOSTED_IRQ_NS);
          irqs = 0;
          w.complete(io);
        },
      };
    if (assigned) return w;
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
