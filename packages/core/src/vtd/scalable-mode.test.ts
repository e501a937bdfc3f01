// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { newTranslationOut } from '../iommu/translation';
import { PhysMemory } from '../memory/phys-memory';
import { PERM_READ, PERM_RW } from '../page-table/format';
import { PageTable } from '../page-table/page-table';
import { vtdFirstStageFormat } from '../page-table/vtd-first-stage';
import { faultReasonText } from './faults';
import { encodePasidEntry, PGTT } from './scalable-mode';
import { VtdUnit } from './unit';

const req = (sourceId: number, address: number, pasid = -1, write = false) => ({
  sourceId,
  segment: 0,
  address,
  write,
  pasid,
});

/** A VT-d unit in scalable mode on fresh memory, and a translation result to fill. */
function scalableUnit() {
  const mem = new PhysMemory();
  const unit = new VtdUnit({ mem });
  return { mem, unit, sm: unit.enableScalableMode(), out: newTranslationOut() };
}

/** 01:00.0's requests without PASID (RID_PASID 0, DID 1) through a second-stage table: IOVA 0x1000 -> 0x7000_0000. */
function secondStageFor0100({ mem, unit, sm }: Omit<ReturnType<typeof scalableUnit>, 'out'>, perm: number): void {
  const sl = new PageTable(mem, unit.format);
  sl.map(0x1000, 0x7000_0000, 4096, perm);
  sm.tables.setPasidEntry(0x0100, 0, encodePasidEntry({ pgtt: PGTT.SECOND_STAGE, did: 1, aw: 2, slptptr: sl.rootPa }));
}

describe('VT-d scalable mode', () => {
  it('PASID entry golden bits (§9.6): P, AW 4:2, PGTT 8:6, SLPTPTR 63:12, DID 79:64, FLPTPTR 191:140', () => {
    expect(encodePasidEntry({ pgtt: PGTT.SECOND_STAGE, did: 7, aw: 2, slptptr: 0x5000 })).toBe((7n << 64n) | 0x5089n);
    expect(encodePasidEntry({ pgtt: PGTT.FIRST_STAGE, did: 3, aw: 2, flptptr: 0x9000 })).toBe(
      (0x9000n << 128n) | (3n << 64n) | 0x49n,
    );
  });

  it('translates second-stage (RID_PASID), first-stage (PASID 5), nested and pass-through entries', () => {
    const { mem, unit, sm, out } = scalableUnit();
    // Second stage for requests without PASID (RID_PASID 0).
    secondStageFor0100({ mem, unit, sm }, PERM_RW);
    unit.translate(req(0x0100, 0x1abc), out);
    expect(out).toMatchObject({ ok: true, pa: 0x7000_0abc });
    // First stage for PASID 5 of the same device.
    const fl = new PageTable(mem, vtdFirstStageFormat({ levels: 4 }));
    fl.map(0x40_0000, 0x8000_0000, 4096, PERM_READ);
    sm.tables.setPasidEntry(0x0100, 5, encodePasidEntry({ pgtt: PGTT.FIRST_STAGE, did: 2, aw: 2, flptptr: fl.rootPa }));
    unit.translate(req(0x0100, 0x40_0010, 5), out);
    expect(out).toMatchObject({ ok: true, pa: 0x8000_0010 });
    unit.translate(req(0x0100, 0x40_0010, 5, true), out);
    expect(out.fault!.reason).toBe(0x85); // no write permission
    // Nested: the guest's first-stage table lives in guest-physical memory mapped by the second stage.
    const guestSl = new PageTable(mem, unit.format);
    const guestFl = new PageTable(mem, vtdFirstStageFormat({ levels: 4 }));
    // Identity-map the guest's table pages and the target page through the second stage: GPA == HPA here.
    guestFl.map(0x10_0000, 0x2000_0000, 4096, PERM_RW); // guest VA -> GPA
    for (const page of [...guestFlPages(guestFl)])
      if (guestSl.iovaToPhys(page) < 0) guestSl.map(page, page, 4096, PERM_RW);
    guestSl.map(0x2000_0000, 0x9900_0000, 4096, PERM_RW); // GPA -> HPA
    sm.tables.setPasidEntry(
      0x0200,
      0,
      encodePasidEntry({ pgtt: PGTT.NESTED, did: 3, aw: 2, slptptr: guestSl.rootPa, flptptr: guestFl.rootPa }),
    );
    unit.translate(req(0x0200, 0x10_0123), out);
    expect(out).toMatchObject({ ok: true, pa: 0x9900_0123 });
    sm.tables.setPasidEntry(0x0300, 0, encodePasidEntry({ pgtt: PGTT.PASS_THROUGH, did: 4, aw: 2 }));
    unit.translate(req(0x0300, 0xdead_b000), out);
    expect(out).toMatchObject({ ok: true, pa: 0xdead_b000 });
  });

  it('faults with scalable-mode reasons for absent structures', () => {
    const { unit, sm, out } = scalableUnit();
    unit.translate(req(0x0400, 0x1000), out);
    expect(out.fault!.reason).toBe(0x39);
    sm.tables.setPasidEntry(0x0400, 0, encodePasidEntry({ pgtt: PGTT.PASS_THROUGH, did: 1, aw: 2 }));
    unit.translate(req(0x0400, 0x1000, 64), out);
    expect(out.fault!.reason).toBe(0x51); // PASID 64 lives in another directory entry
    unit.translate(req(0x0400, 0x1000, 1), out);
    expect(out.fault!.reason).toBe(0x59);
    expect(out.fault!.logLine).toBe(
      'DMAR: [DMA Read PASID 0x1] Request device [04:00.0] fault addr 0x1000 [fault reason 0x59] SM: Present bit in PASID Table Entry is clear',
    );
  });
});

describe('VT-d scalable-mode context entry', () => {
  it('treats bit 84 (RID_PRIV) as a field, and bits 127:85 and 8:5 as reserved (QEMU VTD_SM_CONTEXT_ENTRY_RSVD_VAL0/1)', () => {
    const { mem, unit, sm, out } = scalableUnit();
    sm.tables.setPasidEntry(0x0100, 0, encodePasidEntry({ pgtt: PGTT.PASS_THROUGH, did: 1, aw: 2 }));
    // The 32-byte context entry of 01:00.0: devfn 0 of the lower table of bus 1.
    const lctp = Number(mem.readU64(sm.tables.rootPa + 16) & ~0xfffn);
    const hi = mem.readU64(lctp + 8);
    mem.writeU64(lctp + 8, hi | (1n << 20n)); // bit 84
    unit.translate(req(0x0100, 0x5000), out);
    expect(out).toMatchObject({ ok: true, pa: 0x5000 });
    mem.writeU64(lctp + 8, hi | (1n << 21n)); // bit 85
    unit.translate(req(0x0100, 0x5000), out);
    expect(out.fault).toMatchObject({
      reason: 0x42,
      reasonText: 'SM: Non-zero reserved field set in the Context Entry',
    });
    mem.writeU64(lctp + 8, hi);
    mem.writeU64(lctp, mem.readU64(lctp) | 0x20n); // bit 5
    unit.translate(req(0x0100, 0x5000), out);
    expect(out.fault!.reason).toBe(0x42);
  });
});

describe("VT-d scalable-mode fault reasons (Linux's dma_remap_sm_fault_reasons[])", () => {
  it.each([
    [0x42, 'SM: Non-zero reserved field set in the Context Entry'],
    [0x51, 'SM: Present bit in Directory Entry is clear'],
    [0x5b, 'SM: Invalid Scalable-Mode PASID Table Entry'],
    [0x84, 'SM: Second-level entry address beyond the max'],
    [0x85, 'SM: No write permission for Write/AtomicOp request'],
    [0x86, 'SM: No read permission for Read/AtomicOp request'],
    [0x30, 'SM: Invalid Root Table Address'],
    [0x90, 'SM: A/D bit update needed in first-level entry when set up in no snoop'],
    [0x33, 'Unknown'],
    [0x91, 'Unknown'],
    [0x06, 'PTE Read access is not set'],
    [0x26, 'Blocked an interrupt request due to source-id verification failure'],
  ])('reason 0x%s reads as Linux prints it', (code, text) => {
    expect(faultReasonText(code)).toBe(text);
  });

  it('prints those texts in the fault line of a scalable-mode translation', () => {
    const { mem, unit, sm, out } = scalableUnit(); // 48-bit second stage
    secondStageFor0100({ mem, unit, sm }, PERM_READ);
    unit.translate(req(0x0100, 2 ** 48), out);
    expect(out.fault!.logLine).toBe(
      'DMAR: [DMA Read NO_PASID] Request device [01:00.0] fault addr 0x1000000000000 [fault reason 0x84] SM: Second-level entry address beyond the max',
    );
    unit.translate(req(0x0100, 0x1000, -1, true), out);
    expect(out.fault).toMatchObject({ reason: 0x85, reasonText: 'SM: No write permission for Write/AtomicOp request' });
    sm.tables.setPasidEntry(0x0100, 3, encodePasidEntry({ pgtt: 5, did: 1, aw: 2 })); // PGTT 5 is reserved
    unit.translate(req(0x0100, 0x1000, 3), out);
    expect(out.fault!.logLine).toBe(
      'DMAR: [DMA Read PASID 0x3] Request device [01:00.0] fault addr 0x1000 [fault reason 0x5b] SM: Invalid Scalable-Mode PASID Table Entry',
    );
  });
});

/** The table pages of a page table (their physical addresses), for identity second-stage maps. */
function guestFlPages(pt: PageTable): number[] {
  return [...(pt as unknown as { used: Map<number, number> }).used.keys()];
}
