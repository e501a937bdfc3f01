// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import {
  domainTypeSysfs,
  driverEnabled,
  globalDefaultDomain,
  groupDefaultDomain,
  groupDomainRequest,
  IOMMU_DOMAIN_DMA,
  IOMMU_DOMAIN_DMA_FQ,
  IOMMU_DOMAIN_IDENTITY,
  type IommuKconfig,
  intelCachingMode,
  setDefaultPassthrough,
  UPSTREAM_KCONFIG,
} from './default-domain';
import { getDistro } from './distro';
import { formIommuGroups, PCI_ACS_CR, PCI_ACS_RR, PCI_ACS_SV, PCI_ACS_UF, type PciDev } from './iommu-groups';
import { kstrtobool, parseIommuCmdline, splitKernelArgs } from './kernel-cmdline';

describe('kernel command line', () => {
  it('splits like next_arg(), with quotes', () => {
    expect(splitKernelArgs('ro  quiet foo="a b" intel_iommu=on,sm_on')).toEqual([
      { key: 'ro', value: undefined },
      { key: 'quiet', value: undefined },
      { key: 'foo', value: 'a b' },
      { key: 'intel_iommu', value: 'on,sm_on' },
    ]);
  });

  it('kstrtobool accepts what the kernel accepts', () => {
    expect(['1', 'y', 'Yes', 'true', 'on'].map(kstrtobool)).toEqual([true, true, true, true, true]);
    expect(['0', 'n', 'false', 'off'].map(kstrtobool)).toEqual([false, false, false, false]);
    expect(['', 'x', 'o', 'maybe'].map(kstrtobool)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('parses driver option lists, later parameters winning, with the messages Linux prints', () => {
    const c = parseIommuCmdline('intel_iommu=on,sm_on,bogus iommu=pt iommu.strict=1 iommu.passthrough=0 amd_iommu=on');
    expect(c.intelIommuOn).toBe(true);
    expect(c.scalableMode).toBe(true);
    expect(c.passthrough).toBe(false);
    expect(c.strict).toBe(true);
    expect(c.messages).toEqual([
      'DMAR: IOMMU enabled',
      "DMAR: Unknown option - 'bogus'",
      "AMD-Vi: Unknown option - 'on'",
    ]);
  });

  it('lists the parameters it does not consume, leaving out boot plumbing', () => {
    const c = parseIommuCmdline(
      'BOOT_IMAGE=/vmlinuz root=UUID=1 ro quiet splash rd.luks=0 systemd.unit=x hugepages=16 iommu.stritc=1 nosmt iommu=pt',
    );
    expect(c.ignored).toEqual(['hugepages=16', 'iommu.stritc=1', 'nosmt']);
    expect(c.passthrough).toBe(true);
  });

  it('keeps the default and warns on a malformed boolean', () => {
    const c = parseIommuCmdline('iommu.strict=maybe swiotlb=65536,4,force');
    expect(c.strict).toBeUndefined();
    expect(c.messages).toEqual(["Malformed early option 'iommu.strict'"]);
    expect(c.swiotlb).toEqual({ slabs: 65536, areas: 4, force: true });
    // Every part is optional, as setup_io_tlb_npages() reads it.
    expect(parseIommuCmdline('swiotlb=force').swiotlb).toEqual({ force: true });
  });
});

// Truth table written from iommu_subsys_init() and iommu_get_default_domain_type() by hand:
// [cmdline, Kconfig default, trusted?] -> expected group default domain.
const T = IOMMU_DOMAIN_DMA;
const FQ = IOMMU_DOMAIN_DMA_FQ;
const ID = IOMMU_DOMAIN_IDENTITY;
const TABLE: [string, IommuKconfig['defaultDomain'], boolean, number][] = [
  ['', 'lazy', true, FQ],
  ['', 'strict', true, T],
  ['', 'passthrough', true, ID],
  ['', 'lazy', false, T],
  ['', 'passthrough', false, T],
  ['iommu=pt', 'lazy', true, ID],
  ['iommu=pt', 'strict', false, T],
  ['iommu=nopt', 'passthrough', true, FQ],
  ['iommu.strict=1', 'lazy', true, T],
  ['iommu.strict=0', 'strict', true, FQ],
  ['iommu.strict=0', 'strict', false, T],
  ['iommu.passthrough=1', 'strict', true, ID],
  ['iommu.passthrough=1 iommu.passthrough=0', 'passthrough', true, FQ],
  ['intel_iommu=strict', 'lazy', true, T],
  ['amd_iommu=fullflush', 'passthrough', true, ID],
];

describe('default domain: command line x Kconfig x trusted', () => {
  it.each(TABLE)('%s with %s (trusted=%s)', (cmdline, kdef, trusted, want) => {
    const global = globalDefaultDomain(
      parseIommuCmdline(cmdline),
      { ...UPSTREAM_KCONFIG, defaultDomain: kdef },
      { memoryEncryption: false },
    );
    const req = groupDomainRequest('intel', [{ untrusted: !trusted }], false);
    expect(req > 0 ? req : global.type).toBe(want);
  });

  it('prints the boot lines of iommu_subsys_init()', () => {
    const g = globalDefaultDomain(parseIommuCmdline('iommu.strict=0'), UPSTREAM_KCONFIG, { memoryEncryption: false });
    expect(g.log).toEqual([
      'iommu: Default domain type: Translated',
      'iommu: DMA domain TLB invalidation policy: lazy mode (set via kernel command line)',
    ]);
    const old = globalDefaultDomain(parseIommuCmdline(''), UPSTREAM_KCONFIG, {
      memoryEncryption: false,
      kernelVersion: [5, 11],
    });
    expect(old.log).toEqual(['iommu: Default domain type: Translated ']); // as in the real 5.11 log (testdata)
    const enc = globalDefaultDomain(
      parseIommuCmdline(''),
      { ...UPSTREAM_KCONFIG, defaultDomain: 'passthrough' },
      { memoryEncryption: true },
    );
    expect(enc.log[0]).toBe('iommu: Memory encryption detected - Disabling default IOMMU Passthrough');
    expect(domainTypeSysfs(enc.type)).toBe('DMA-FQ');
  });

  it('decides whether the vendor driver runs', () => {
    const k = getDistro('rhel9').kconfig;
    expect(driverEnabled('intel', parseIommuCmdline(''), k, { tablePresent: true }).enabled).toBe(false);
    expect(driverEnabled('intel', parseIommuCmdline('intel_iommu=on'), k, { tablePresent: true }).enabled).toBe(true);
    expect(driverEnabled('amd', parseIommuCmdline(''), k, { tablePresent: true }).enabled).toBe(true);
    expect(driverEnabled('amd', parseIommuCmdline('amd_iommu=off'), k, { tablePresent: true }).enabled).toBe(false);
    expect(driverEnabled('amd', parseIommuCmdline('iommu=off'), k, { tablePresent: true }).enabled).toBe(false);
    expect(() => getDistro('nope')).toThrow(/unknown distribution 'nope'/);
  });
});

describe('the DMAR platform opt-in (platform_optin_force_iommu(), intel/iommu.c)', () => {
  const optin = { tablePresent: true, platformOptIn: true, externalFacingPort: true };
  const FORCED = 'DMAR: Intel-IOMMU force enabled due to platform opt in';

  it('forces the driver on when it is off by default, and makes pass-through the default domain', () => {
    const k = getDistro('rhel9').kconfig; // INTEL_IOMMU_DEFAULT_ON=n
    expect(driverEnabled('intel', parseIommuCmdline(''), k, optin)).toEqual({
      enabled: true,
      log: [FORCED],
      defaultPassthrough: true,
    });
    const g = setDefaultPassthrough(globalDefaultDomain(parseIommuCmdline(''), k, { memoryEncryption: false }));
    expect(domainTypeSysfs(g.type)).toBe('identity');
    // Untrusted devices still get a strict DMA domain (iommu_get_def_domain_type()).
    expect(domainTypeSysfs(groupDefaultDomain(groupDomainRequest('intel', [{ untrusted: true }], false), g))).toBe(
      'DMA',
    );
  });

  it('is silent and keeps the default domain when the driver is on anyway', () => {
    expect(driverEnabled('intel', parseIommuCmdline(''), UPSTREAM_KCONFIG, optin)).toEqual({
      enabled: true,
      log: [],
      defaultPassthrough: false,
    });
  });

  it('overrides iommu=off (no_iommu), as mainline does, but not intel_iommu=off (no_platform_optin)', () => {
    expect(driverEnabled('intel', parseIommuCmdline('iommu=off'), UPSTREAM_KCONFIG, optin)).toEqual({
      enabled: true,
      log: [FORCED],
      defaultPassthrough: false,
    });
    expect(
      driverEnabled('intel', parseIommuCmdline('iommu=off'), UPSTREAM_KCONFIG, { tablePresent: true }).enabled,
    ).toBe(false);
    expect(driverEnabled('intel', parseIommuCmdline('intel_iommu=off'), UPSTREAM_KCONFIG, optin).enabled).toBe(false);
  });

  it('needs both the DMAR flag and an external-facing port', () => {
    const k = getDistro('rhel9').kconfig;
    expect(driverEnabled('intel', parseIommuCmdline(''), k, { ...optin, externalFacingPort: false }).enabled).toBe(
      false,
    );
    expect(driverEnabled('intel', parseIommuCmdline(''), k, { ...optin, platformOptIn: false }).enabled).toBe(false);
  });
});

describe('caching mode (CAP.CM) in intel_iommu_init()', () => {
  it('forces strict invalidation, DMA instead of DMA-FQ, with the line Linux prints once', () => {
    const g = globalDefaultDomain(parseIommuCmdline(''), UPSTREAM_KCONFIG, { memoryEncryption: false });
    expect(domainTypeSysfs(g.type)).toBe('DMA-FQ');
    const cm = intelCachingMode(g, [{ cachingMode: true }, { cachingMode: true }]);
    expect(cm.log).toEqual(['DMAR: IOMMU batching disallowed due to virtualization']);
    expect(cm.global).toMatchObject({ strict: true });
    expect(domainTypeSysfs(cm.global.type)).toBe('DMA');
    // iommu.strict=0 does not win over it; pass-through stays pass-through.
    expect(
      domainTypeSysfs(
        intelCachingMode(
          globalDefaultDomain(parseIommuCmdline('iommu.strict=0'), UPSTREAM_KCONFIG, { memoryEncryption: false }),
          [{ cachingMode: true }],
        ).global.type,
      ),
    ).toBe('DMA');
    const pt = globalDefaultDomain(parseIommuCmdline('iommu=pt'), UPSTREAM_KCONFIG, { memoryEncryption: false });
    expect(domainTypeSysfs(intelCachingMode(pt, [{ cachingMode: true }]).global.type)).toBe('identity');
    // Without CM, or with first-level tables by default (scalable mode with FLTS), nothing changes.
    expect(intelCachingMode(g, [{ cachingMode: false }])).toEqual({ global: g, log: [] });
    expect(intelCachingMode(g, [{ cachingMode: true, firstLevelByDefault: true }])).toEqual({ global: g, log: [] });
  });
});

const ACS = {
  cap: PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF,
  ctrl: PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF,
};
const b = (bus: number, dev: number, fn: number) => (bus << 8) | (dev << 3) | fn;
const dev = (bdf: number, type: PciDev['type'], parent: number, extra: Partial<PciDev> = {}): PciDev => ({
  segment: 0,
  bdf,
  type,
  parent,
  multifunction: false,
  ...extra,
});

describe('IOMMU groups (pci_device_group)', () => {
  it('isolates devices behind ACS root ports and groups a multifunction device without ACS', () => {
    const devs = [
      dev(b(0, 1, 0), 'root-port', -1, { acs: ACS }), // 0
      dev(b(1, 0, 0), 'endpoint', 0, { multifunction: true }), // 1 GPU
      dev(b(1, 0, 1), 'endpoint', 0, { multifunction: true }), // 2 audio
      dev(b(0, 2, 0), 'root-port', -1, { acs: ACS }), // 3
      dev(b(2, 0, 0), 'endpoint', 3), // 4 NVMe
    ];
    const r = formIommuGroups(devs, [0, 1, 2, 3, 4]);
    expect(r.groupOf).toEqual([0, 1, 1, 2, 3]);
  });

  it('puts everything below a port without ACS into the port group', () => {
    const devs = [
      dev(b(0, 1, 0), 'root-port', -1, { acs: ACS }), // 0
      dev(b(1, 0, 0), 'upstream', 0), // 1
      dev(b(2, 8, 0), 'downstream', 1), // 2: no ACS
      dev(b(3, 0, 0), 'endpoint', 2), // 3
      dev(b(2, 9, 0), 'downstream', 1, { acs: ACS }), // 4
      dev(b(4, 0, 0), 'endpoint', 4), // 5
    ];
    expect(formIommuGroups(devs, [0, 1, 2, 3, 4, 5]).groupOf).toEqual([0, 1, 2, 2, 3, 4]);
  });

  it('aliases everything behind a PCIe-to-PCI bridge to the bridge', () => {
    const devs = [
      dev(b(0, 0x1e, 0), 'pcie-to-pci-bridge', -1), // 0
      dev(b(5, 0, 0), 'pci', 0), // 1
      dev(b(5, 1, 0), 'pci', 0), // 2
      dev(b(0, 0x1f, 0), 'endpoint', -1, { multifunction: true }), // 3
      dev(b(0, 0x1f, 3), 'endpoint', -1, { multifunction: true, acs: ACS }), // 4: has ACS, isolated
    ];
    expect(formIommuGroups(devs, [0, 1, 2, 3, 4]).groupOf).toEqual([0, 0, 0, 1, 2]);
  });

  it('joins quirk DMA aliases', () => {
    const devs = [
      dev(b(0, 3, 0), 'endpoint', -1),
      dev(b(0, 4, 0), 'endpoint', -1, { dmaAliasDevfns: [b(0, 3, 0) & 0xff] }),
    ];
    expect(formIommuGroups(devs, [0, 1]).groupOf).toEqual([0, 0]);
  });
});
