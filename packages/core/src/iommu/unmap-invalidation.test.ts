// SPDX-License-Identifier: Apache-2.0
// Property: once an unmap returns, no translation of the unmapped range survives in any cache of
// the unit (IOTLB, paging-structure / page-directory / walk caches, device-TLB), whatever the
// range's alignment. Checked with real units (VT-d, AMD-Vi, SMMUv3) and their real invalidations,
// through both users of the unmap path: VFIO type1 (VFIO_IOMMU_UNMAP_DMA of whole mappings at
// arbitrary 4 KiB-aligned IOVAs) and dma-iommu in strict mode (map/unmap of pages and lists).

import { mulberry32 } from '@iofleet/prng';
import { describe, expect, it } from 'vitest';
import { hpa, type Iova, iova as toIova } from '../addresses';
import { AmdViUnit } from '../amd/unit';
import { IommuDmaOps } from '../dma/dma-iommu';
import { DmaSim } from '../dma/dma-sim';
import { DMA_BIDIRECTIONAL, dmaDevice, scatterEntry } from '../dma/dma-types';
import { IommuDmaCookie } from '../dma/iommu-dma-cookie';
import { type IommuUnit, unitAttachDevice, unitCreateDomain } from '../linux/iommu-api';
import { VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, VfioContainer } from '../linux/vfio';
import type { PhysMemory } from '../memory/phys-memory';
import { SmmuV3Unit } from '../smmu/unit';
import { VtdUnit } from '../vtd/unit';
import type { IommuDomainOps } from './domain-ops';
import { newTranslationOut } from './translation';

/** Two devices of one group: one plain, one with ATS (a device-TLB on VT-d). */
const SIDS = [0x0100, 0x0101] as const;

const UNITS: [string, (mem: PhysMemory) => IommuUnit][] = [
  ['VT-d', (mem) => new VtdUnit({ mem, params: { iotlb: { entries: 256, ways: 8, replacement: 'lru' } } })],
  ['AMD-Vi', (mem) => new AmdViUnit({ mem, params: { iotlb: { entries: 256, ways: 8, replacement: 'lru' } } })],
  ['SMMUv3', (mem) => new SmmuV3Unit({ mem, params: { tlb: { entries: 256, ways: 8, replacement: 'lru' } } })],
];

function attach(unit: IommuUnit, domain: IommuDomainOps): void {
  unitAttachDevice(unit, SIDS[0], domain);
  unitAttachDevice(unit, SIDS[1], domain, { ats: true });
}

const out = newTranslationOut();

/**
 * Every 4 KiB page of [iova, iova + len) through both devices, read and write: translated to
 * expectPa(page), or (expectPa null) a fault. Returns the first page that is not, for one expect.
 */
function probe(unit: IommuUnit, iova: number, len: number, expectPa: ((iova: number) => number) | null): string {
  for (let off = 0; off < len; off += 4096)
    for (const sourceId of SIDS)
      for (const write of [false, true]) {
        const address = iova + off;
        unit.translate({ sourceId, segment: 0, address, write, pasid: -1 }, out);
        const good = expectPa ? out.ok && out.pa === expectPa(address) : !out.ok;
        if (!good)
          return `0x${address.toString(16)} from ${sourceId.toString(16)} (${write ? 'write' : 'read'}): ${out.ok ? `pa 0x${out.pa.toString(16)}${out.iotlbHit ? ' (IOTLB hit)' : ''}` : 'fault'}`;
      }
  return '';
}

describe.each(UNITS)('%s: no translation survives its unmap', (_name, makeUnit) => {
  it('through VFIO: random unaligned mappings, each unmapped whole (VFIO_IOMMU_UNMAP_DMA)', () => {
    const sim = new DmaSim();
    const unit = makeUnit(sim.mem);
    const domain = unitCreateDomain(unit, 'unmanaged');
    attach(unit, domain);
    const hostBase = 0x2_0000_0000; // guest RAM: vaddr v backed at hostBase + v (contiguous, so runs get superpages)
    const vfio = new VfioContainer(domain, (vaddr) => hostBase + vaddr);
    vfio.addGroup({ id: 1, devices: [{ name: '0000:01:00.0', driver: 'vfio-pci', bridge: false }] });
    const rand = mulberry32(0x1717);
    const live: { iova: number; size: number }[] = [];
    const window = 8192; // pages: 32 MiB, so 2 MiB superpages and large masks occur
    for (let round = 0; round < 60; round++) {
      // Map a few ranges at random page offsets and lengths (not powers of two, not aligned).
      for (let k = 0; k < 4; k++) {
        const pages = rand() < 0.15 ? 256 + Math.floor(rand() * 1024) : 1 + Math.floor(rand() * 24);
        const iova = Math.floor(rand() * (window - pages)) * 4096;
        const size = pages * 4096;
        if (live.some((r) => iova < r.iova + r.size && r.iova < iova + size)) continue;
        vfio.mapDma(iova, toIova(iova), size, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
        live.push({ iova, size });
      }
      // The devices touch everything mapped: translations fill the IOTLB, device-TLB and walk caches.
      for (const r of live) expect(probe(unit, r.iova, r.size, (a) => hostBase + a)).toBe('');
      // Unmap about half of the mappings; every page of them must fault from now on.
      for (let i = live.length - 1; i >= 0; i--) {
        if (rand() < 0.5) continue;
        const r = live[i]!;
        expect(vfio.unmapDma(toIova(r.iova), r.size)).toBe(r.size);
        live.splice(i, 1);
        expect(probe(unit, r.iova, r.size, null)).toBe('');
      }
    }
    for (const r of live) expect(probe(unit, r.iova, r.size, (a) => hostBase + a)).toBe('');
  });

  it('through dma-iommu (strict): random buffers and scatterlists, each unmapped on completion', () => {
    const sim = new DmaSim({ cpuCount: 2 });
    const unit = makeUnit(sim.mem);
    const domain = unitCreateDomain(unit, 'dma');
    attach(unit, domain);
    const cookie = new IommuDmaCookie(sim, domain, { mode: 'strict' });
    const ops = new IommuDmaOps(cookie, dmaDevice({ name: '0000:01:00.0' }));
    const rand = mulberry32(0x2626);
    type Live = { dma: Iova; len: number; pa: number; sg: ReturnType<typeof scatterEntry>[] | null };
    const live: Live[] = [];
    const pageOf = (dma: number, l: Live) => l.pa - (l.pa % 4096) + (dma - (l.dma - (l.dma % 4096)));
    for (let round = 0; round < 150; round++) {
      for (let k = 0; k < 3; k++) {
        const pa = 0x1_0000_0000 + Math.floor(rand() * 65536) * 4096 + Math.floor(rand() * 4096);
        const len = 1 + Math.floor(rand() * (rand() < 0.2 ? 600_000 : 20_000));
        if (rand() < 0.3) {
          // A two-entry list: one IOVA range for both, each entry padded to the granule.
          const sg = [scatterEntry(hpa(pa), len), scatterEntry(hpa(pa + 0x100_0000 - (pa % 4096)), 4096 * 3)];
          expect(ops.mapSg(sg, DMA_BIDIRECTIONAL)).toBeGreaterThan(0);
          live.push({ dma: sg[0]!.dmaAddress, len: 0, pa, sg });
        } else {
          const dma = ops.mapPage(hpa(pa), len, DMA_BIDIRECTIONAL);
          expect(dma).toBeGreaterThan(0);
          live.push({ dma, len, pa, sg: null });
        }
      }
      for (const l of live) {
        const first = l.dma - (l.dma % 4096);
        const span = Math.ceil((l.dma + l.len) / 4096) * 4096 - first;
        if (l.sg === null) expect(probe(unit, first, span, (a) => pageOf(a, l))).toBe('');
        else
          for (const s of l.sg)
            if (s.dmaLength > 0) {
              const page = s.dmaAddress - (s.dmaAddress % 4096);
              expect(probe(unit, page, 4096, (a) => domain.iovaToPhys(toIova(a)))).toBe('');
            }
      }
      for (let i = live.length - 1; i >= 0; i--) {
        if (rand() < 0.5) continue;
        const l = live.splice(i, 1)[0]!;
        if (l.sg === null) {
          ops.unmapPage(l.dma, l.len, DMA_BIDIRECTIONAL);
          const first = l.dma - (l.dma % 4096);
          expect(probe(unit, first, Math.ceil((l.dma + l.len) / 4096) * 4096 - first, null)).toBe('');
        } else {
          const ends = l.sg.filter((s) => s.dmaLength > 0);
          const last = ends[ends.length - 1]!;
          const first = ends[0]!.dmaAddress - (ends[0]!.dmaAddress % 4096);
          ops.unmapSg(l.sg, DMA_BIDIRECTIONAL);
          expect(probe(unit, first, Math.ceil((last.dmaAddress + last.dmaLength) / 4096) * 4096 - first, null)).toBe(
            '',
          );
        }
      }
    }
  });
});
