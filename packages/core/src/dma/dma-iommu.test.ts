// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { type Hpa, hpa } from '../addresses';
import { HW_INV_WAITS } from '../stats/hw-counters';
import { ModelDomain } from '../testing/model-domain';
import { VtdUnit } from '../vtd/unit';
import { IommuDmaOps } from './dma-iommu';
import { DmaSim } from './dma-sim';
import { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE, dmaDevice, scatterEntry } from './dma-types';
import { IOVA_DEFAULT_FQ_TIMEOUT_NS } from './flush-queue';
import { IommuDmaCookie, type IommuDmaMode } from './iommu-dma-cookie';
import { SwiotlbPool } from './swiotlb';

function setup(
  mode: IommuDmaMode,
  opts: { cpus?: number; dmaBits?: number; forcedac?: boolean; untrusted?: boolean } = {},
) {
  const sim = new DmaSim({ cpuCount: opts.cpus ?? 2 });
  const domain = new ModelDomain(1);
  const cookie = new IommuDmaCookie(sim, domain, { mode });
  const swiotlb = new SwiotlbPool(sim.mem, { nslabs: 1024, cpuCount: opts.cpus ?? 2 });
  const dev = dmaDevice({ name: '0000:01:00.0', dmaBits: opts.dmaBits ?? 64, untrusted: opts.untrusted ?? false });
  const ops = new IommuDmaOps(cookie, dev, { forcedac: opts.forcedac, swiotlb });
  return { sim, domain, cookie, ops, swiotlb };
}

describe('dma-iommu IOVA policy (iommu_dma_alloc_iova)', () => {
  it('takes branded addresses: a bare number, or a DMA address for a buffer, does not compile', () => {
    // Checked by `nx typecheck` (tsconfig.spec.json): each @ts-expect-error fails it if the line compiles.
    const { ops } = setup('strict');
    // @ts-expect-error a bare number is not an Hpa
    const a = ops.mapPage(0x4000_0000, 4096, DMA_TO_DEVICE);
    // @ts-expect-error a DMA address (Iova) is not a buffer's physical address (Hpa)
    const b = ops.mapPage(a, 4096, DMA_TO_DEVICE);
    expect(a).not.toBe(b); // two live mappings of the same page get two IOVAs
    ops.unmapPage(a, 4096, DMA_TO_DEVICE);
    // Not run (unmapping a never-mapped address is not what this test is about), only compiled:
    // @ts-expect-error unmapPage takes the DMA address, not the buffer's physical address
    const wrong = () => ops.unmapPage(hpa(0x4000_0000), 4096, DMA_TO_DEVICE);
    expect(wrong).toBeTypeOf('function');
  });

  it('gives a 64-bit PCI device addresses below 4 GiB first, and above with forcedac', () => {
    const a = setup('strict');
    const addr = a.ops.mapPage(hpa(0x4000_0000), 4096, DMA_TO_DEVICE);
    expect(addr).toBe(0xffff_f000);
    const b = setup('strict', { forcedac: true });
    expect(b.ops.mapPage(hpa(0x4000_0000), 4096, DMA_TO_DEVICE)).toBeGreaterThan(0xffff_ffff);
  });

  it('keeps the in-page offset and maps the right physical page', () => {
    const { ops, domain } = setup('strict');
    const addr = ops.mapPage(hpa(0x4000_1234), 100, DMA_TO_DEVICE);
    expect(addr % 4096).toBe(0x234);
    expect(domain.iovaToPhys(addr)).toBe(0x4000_1234);
  });

  it('switches the device to the full mask after the 32-bit space runs out, with the kernel notice', () => {
    const { ops, sim, cookie } = setup('strict');
    cookie.iovad.reserveIova(1, 0xfffff); // everything below 4 GiB
    const addr = ops.mapPage(hpa(0x4000_0000), 4096, DMA_TO_DEVICE);
    expect(addr).toBeGreaterThan(0xffff_ffff);
    expect(ops.pci32bitWorkaround).toBe(false);
    expect(sim.log).toContain('0000:01:00.0: Using 48-bit DMA addresses');
  });
});

describe('strict vs lazy invalidation', () => {
  /** Maps, lets the device hit the IOTLB, unmaps, then probes the IOVA again. */
  function staleAfterUnmap(mode: IommuDmaMode) {
    const s = setup(mode);
    const addr = s.ops.mapPage(hpa(0x4000_0000), 4096, DMA_FROM_DEVICE);
    expect(s.domain.translate(addr, true).ok).toBe(true); // fills the IOTLB
    s.ops.unmapPage(addr, 4096, DMA_FROM_DEVICE);
    expect(s.domain.iovaToPhys(addr)).toBe(-1); // PTE cleared in both modes
    const t = s.domain.translate(addr, true);
    return { ...s, addr, stale: t.ok && t.iotlbHit };
  }

  it('strict: no stale IOTLB hit after unmap, one invalidation wait per unmap', () => {
    const s = staleAfterUnmap('strict');
    expect(s.stale).toBe(false);
    expect(s.domain.counters.c[HW_INV_WAITS]).toBe(1);
  });

  it('lazy: the device still hits the stale IOTLB entry inside the flush-queue window, not after the 10 ms timer', () => {
    const s = staleAfterUnmap('lazy');
    expect(s.stale).toBe(true);
    expect(s.domain.counters.c[HW_INV_WAITS]).toBe(0);
    expect(s.cookie.fq!.pending).toBe(1);
    s.sim.cpus.idleAll(IOVA_DEFAULT_FQ_TIMEOUT_NS - 1_000);
    expect(s.domain.translate(s.addr, true).iotlbHit).toBe(true);
    s.sim.cpus.idleAll(2_000);
    expect(s.cookie.fq!.pending).toBe(0);
    expect(s.cookie.fq!.flushesOnTimeout).toBe(1);
    expect(s.domain.translate(s.addr, true).ok).toBe(false);
  });

  it('lazy: the IOVA is not reused before the flush, and is reused from the magazine after it', () => {
    const s = setup('lazy');
    const a = s.ops.mapPage(hpa(0x4000_0000), 4096, DMA_TO_DEVICE);
    s.ops.unmapPage(a, 4096, DMA_TO_DEVICE);
    const b = s.ops.mapPage(hpa(0x4000_0000), 4096, DMA_TO_DEVICE);
    expect(b).not.toBe(a);
    s.ops.unmapPage(b, 4096, DMA_TO_DEVICE);
    s.sim.cpus.idleAll(IOVA_DEFAULT_FQ_TIMEOUT_NS + 1);
    const c = s.ops.mapPage(hpa(0x4000_0000), 4096, DMA_TO_DEVICE);
    expect([a, b]).toContain(c);
  });

  it('lazy: the flush-queue entry carries the page-table pages the unmap freed, freed when it is released', () => {
    // queue_iova(cookie, pfn, pages, &gather.freelist): the tables go with the entry and are put
    // (iommu_put_pages_list()) only after a flush that started after the unmap has finished.
    const sim = new DmaSim({ cpuCount: 1 });
    const unit = new VtdUnit({ mem: sim.mem, superpagesOff: true }); // 4 KiB PTEs: a 2 MiB buffer fills one table
    const domain = unit.createDomain();
    unit.attachDevice(0x0100, domain);
    const cookie = new IommuDmaCookie(sim, domain, { mode: 'lazy' });
    const ops = new IommuDmaOps(cookie, dmaDevice({ name: '0000:01:00.0' }));
    const addr = ops.mapPage(hpa(0x4000_0000), 0x20_0000, DMA_FROM_DEVICE);
    expect(addr % 0x20_0000).toBe(0); // size-aligned IOVA: the unmap covers the level-1 table
    const inUse = sim.mem.tablePagesInUse;
    const tables = domain.tablePages;
    ops.unmapPage(addr, 0x20_0000, DMA_FROM_DEVICE);
    expect(domain.tablePages).toBe(tables - 1); // unlinked...
    const fq = cookie.fq!.queues[0]!;
    expect(fq.freelist[fq.head]).toHaveLength(1); // ...and owned by the entry
    expect(sim.mem.tablePagesInUse).toBe(inUse); // not yet freed
    sim.cpus.idleAll(IOVA_DEFAULT_FQ_TIMEOUT_NS + 1);
    expect(cookie.fq!.pending).toBe(0);
    expect(sim.mem.tablePagesInUse).toBe(inUse - 1);
    expect(fq.freelist.every((l) => l.length === 0)).toBe(true);
  });

  it('charges strict unmaps the invalidation wait: strict unmap costs more simulated time than lazy', () => {
    const time = (mode: IommuDmaMode) => {
      const s = setup(mode);
      const cpu = s.sim.cpus.current;
      let unmapNs = 0;
      for (let i = 0; i < 100; i++) {
        const a = s.ops.mapPage(hpa(0x4000_0000), 4096, DMA_TO_DEVICE);
        const t0 = cpu.nowNs;
        s.ops.unmapPage(a, 4096, DMA_TO_DEVICE);
        unmapNs += cpu.nowNs - t0;
      }
      return unmapNs / 100;
    };
    const strict = time('strict');
    const lazy = time('lazy');
    expect(strict).toBeGreaterThan(lazy + 500);
  });
});

describe('scatter-gather (iommu_dma_map_sg)', () => {
  it('maps the list into one IOVA range and merges granule-aligned continuations', () => {
    const { ops, domain, cookie } = setup('strict');
    const sg = [
      scatterEntry(hpa(0x4000_0000), 4096),
      scatterEntry(hpa(0x4100_0000), 4096),
      scatterEntry(hpa(0x4200_0800), 1024),
    ];
    const n = ops.mapSg(sg, DMA_BIDIRECTIONAL);
    expect(n).toBe(2); // the first two merge; the third starts mid-page
    expect(sg[0]!.dmaLength).toBe(8192);
    expect(sg[1]!.dmaAddress).toBe(sg[0]!.dmaAddress + 8192 + 0x800);
    expect(sg[1]!.dmaLength).toBe(1024);
    expect(domain.iovaToPhys(sg[0]!.dmaAddress + 4096)).toBe(0x4100_0000);
    expect(domain.iovaToPhys(sg[1]!.dmaAddress)).toBe(0x4200_0800);
    expect(cookie.iovad.ranges().length).toBe(2); // MSI reservation + one range for the list
    ops.unmapSg(sg, DMA_BIDIRECTIONAL);
    expect(domain.iovaToPhys(sg[0]!.dmaAddress)).toBe(-1);
  });

  it('does not merge past max_segment_size', () => {
    const { ops } = setup('strict');
    const sg = Array.from({ length: 20 }, (_, i) => scatterEntry(hpa(0x4000_0000 + i * 0x10000), 4096));
    expect(ops.mapSg(sg, DMA_TO_DEVICE)).toBe(2); // 64 KiB = 16 pages per segment
    expect(sg[0]!.dmaLength).toBe(65536);
    expect(sg[1]!.dmaLength).toBe(4 * 4096);
  });
});

describe('untrusted devices', () => {
  it('are strict and bounce a sub-page buffer through swiotlb, copying back on unmap', () => {
    const { ops, sim, domain, swiotlb } = setup('lazy', { untrusted: true });
    expect(ops.strict).toBe(true);
    sim.mem.write(0x4000_0100, new Uint8Array([1, 2, 3, 4]));
    const addr = ops.mapPage(hpa(0x4000_0100), 4, DMA_BIDIRECTIONAL);
    const bounce = domain.iovaToPhys(addr) as Hpa; // the host kernel's DMA domain maps host physical addresses
    expect(swiotlb.isSwiotlbBuffer(bounce)).toBe(true);
    expect([...sim.mem.read(bounce, 4)]).toEqual([1, 2, 3, 4]);
    sim.mem.write(bounce, new Uint8Array([9, 8, 7, 6])); // the device writes
    ops.unmapPage(addr, 4, DMA_BIDIRECTIONAL);
    expect([...sim.mem.read(0x4000_0100, 4)]).toEqual([9, 8, 7, 6]);
    expect(swiotlb.used).toBe(0);
  });

  it('map page-aligned whole pages directly', () => {
    const { ops, domain, swiotlb } = setup('strict', { untrusted: true });
    const addr = ops.mapPage(hpa(0x4000_0000), 8192, DMA_TO_DEVICE);
    expect(domain.iovaToPhys(addr)).toBe(0x4000_0000);
    expect(swiotlb.used).toBe(0);
  });
});

describe('coherent allocations', () => {
  it('allocate zeroed pages mapped at an IOVA and free both', () => {
    const { ops, domain, sim } = setup('strict');
    const r = ops.allocCoherent(10000)!;
    expect(domain.iovaToPhys(r.dmaAddr + 8192)).toBe(r.cpuPa + 8192);
    const inUse = sim.pages.pagesInUse;
    ops.freeCoherent(10000, r.cpuPa, r.dmaAddr);
    expect(sim.pages.pagesInUse).toBe(inUse - 3);
    expect(domain.iovaToPhys(r.dmaAddr)).toBe(-1);
  });
});
