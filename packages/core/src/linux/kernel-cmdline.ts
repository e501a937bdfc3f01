// SPDX-License-Identifier: Apache-2.0
// The IOMMU-related kernel command-line parameters, parsed as Linux parses them: the string is
// split like init/main.c next_arg() (spaces, double quotes), each early_param handler runs in
// order (a later occurrence overrides an earlier one), and comma lists are walked option by option
// with strncmp() prefix matches, as intel_iommu_setup(), parse_amd_iommu_options() and x86
// iommu_setup() do. Unknown or malformed values produce the message Linux prints and leave the
// default in place. Lines carry the prefix the kernel's pr_fmt gives them.

import { parseSwiotlbParam } from '../dma/swiotlb';

/** kstrtobool(): first character y/Y/t/T/1 or n/N/f/F/0, "on"/"off"; anything else is -EINVAL. */
export function kstrtobool(s: string): boolean | undefined {
  const c = s[0];
  if (c === undefined) return undefined;
  if ('yYtT1'.includes(c)) return true;
  if ('nNfF0'.includes(c)) return false;
  if (c === 'o' || c === 'O') {
    const d = s[1];
    if (d === 'n' || d === 'N') return true;
    if (d === 'f' || d === 'F') return false;
  }
  return undefined;
}

/** next_arg(): splits on spaces outside double quotes; quotes are removed. */
export function splitKernelArgs(cmdline: string): { key: string; value: string | undefined }[] {
  const out: { key: string; value: string | undefined }[] = [];
  let i = 0;
  const s = cmdline;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    let inQuote = false;
    let tok = '';
    for (; i < s.length; i++) {
      const ch = s[i]!;
      if (ch === '"') {
        inQuote = !inQuote;
        continue;
      }
      if (!inQuote && /\s/.test(ch)) break;
      tok += ch;
    }
    const eq = tok.indexOf('=');
    out.push(eq < 0 ? { key: tok, value: undefined } : { key: tok.slice(0, eq), value: tok.slice(eq + 1) });
  }
  return out;
}

export interface IommuCmdline {
  /** intel_iommu=on|off; undefined when not given (Kconfig decides). */
  intelIommuOn?: boolean;
  /** intel_iommu=off also sets no_platform_optin. */
  noPlatformOptin: boolean;
  igfxOff: boolean;
  superpagesOff: boolean;
  scalableMode?: boolean;
  tbootNoforce: boolean;
  amdIommuOff: boolean;
  amdForceEnable: boolean;
  amdForceIsolation: boolean;
  amdPgtable: 'v1' | 'v2';
  amdIrtCacheDisable: boolean;
  /** amd_iommu=nohugepages / v2_pgsizes_only */
  amdPageSizes: 'all' | '4k' | '4k-2m-1g';
  /** x86 no_iommu (iommu=off). */
  noIommu: boolean;
  /** iommu=pt / nopt / iommu.passthrough=: true = identity, false = translated; undefined = Kconfig. */
  passthrough?: boolean;
  /** iommu.strict= / intel_iommu=strict / amd_iommu=fullflush; undefined = Kconfig. */
  strict?: boolean;
  /** True when iommu.strict= was given (IOMMU_CMD_LINE_STRICT). */
  strictFromCmdline: boolean;
  forcedac: boolean;
  swiotlb?: { slabs?: number; areas?: number; force?: boolean };
  intremap: 'on' | 'off' | 'nosid' | 'no_x2apic_optout' | 'nopost' | undefined;
  /** Messages Linux prints while parsing (with their pr_fmt prefix). */
  messages: string[];
  /**
   * Parameters the model does not consume, as written (`hugepages=16`, `iommu.stritc=1`): Linux may
   * know them, but they change nothing in the simulation. Boot plumbing with no bearing on DMA
   * (BOOT_IMAGE=, root=, quiet, console=...; BOOT_PLUMBING) is left out.
   */
  ignored: string[];
  /**
   * x86 parameters on an arm64 kernel (`iommu=pt`, `intel_iommu=on`...), as written: no arm64 code
   * defines them, so Linux lists them as "Unknown kernel command line parameters" (passed to user
   * space) and they change nothing.
   */
  foreign: string[];
}

/**
 * Parameters every boot carries that have no bearing on the IOMMU or the DMA path; the model not
 * consuming them is not worth a warning. `rd.` and `systemd.` ones are user space's.
 */
const BOOT_PLUMBING = new Set([
  'BOOT_IMAGE',
  'root',
  'ro',
  'rw',
  'rootwait',
  'rootfstype',
  'rootflags',
  'init',
  'initrd',
  'resume',
  'quiet',
  'splash',
  'console',
  'earlycon',
  'loglevel',
  'vt.handoff',
]);
const isBootPlumbing = (key: string) => BOOT_PLUMBING.has(key) || key.startsWith('rd.') || key.startsWith('systemd.');

export function emptyCmdline(): IommuCmdline {
  return {
    noPlatformOptin: false,
    igfxOff: false,
    superpagesOff: false,
    tbootNoforce: false,
    amdIommuOff: false,
    amdForceEnable: false,
    amdForceIsolation: false,
    amdPgtable: 'v1',
    amdIrtCacheDisable: false,
    amdPageSizes: 'all',
    noIommu: false,
    strictFromCmdline: false,
    forcedac: false,
    intremap: undefined,
    messages: [],
    ignored: [],
    foreign: [],
  };
}

/** Walks a comma list as the kernel does: each option, then skip to past the next commas. */
function forEachOption(value: string, fn: (opt: string) => void): void {
  let s = value;
  while (s.length > 0) {
    fn(s);
    const c = s.indexOf(',');
    if (c < 0) break;
    s = s.slice(c).replace(/^,+/, '');
  }
}

/**
 * A driver option: its name (matched as a prefix), what it sets, and the line the kernel logs.
 * `strict: true` is iommu_set_dma_strict().
 */
type DriverOption = readonly [name: string, sets: Partial<IommuCmdline>, message?: string];

/** intel_iommu_setup() (drivers/iommu/intel/iommu.c). */
const INTEL_OPTIONS: readonly DriverOption[] = [
  ['on', { intelIommuOn: true }, 'DMAR: IOMMU enabled'],
  ['off', { intelIommuOn: false, noPlatformOptin: true }, 'DMAR: IOMMU disabled'],
  ['igfx_off', { igfxOff: true }, 'DMAR: Disable GFX device mapping'],
  ['forcedac', { forcedac: true }, 'DMAR: intel_iommu=forcedac deprecated; use iommu.forcedac instead'],
  ['strict', { strict: true }, 'DMAR: intel_iommu=strict deprecated; use iommu.strict=1 instead'],
  ['sp_off', { superpagesOff: true }, 'DMAR: Disable supported super page'],
  ['sm_on', { scalableMode: true }],
  ['sm_off', { scalableMode: false }],
  [
    'tboot_noforce',
    { tbootNoforce: true },
    'DMAR: Intel-IOMMU: not forcing on after tboot. This could expose security risk for tboot',
  ],
];

/** parse_amd_iommu_options() (drivers/iommu/amd/init.c). */
const AMD_OPTIONS: readonly DriverOption[] = [
  ['fullflush', { strict: true }, 'AMD-Vi: amd_iommu=fullflush deprecated; use iommu.strict=1 instead'],
  ['force_enable', { amdForceEnable: true }],
  ['off', { amdIommuOff: true }],
  ['force_isolation', { amdForceIsolation: true }],
  ['pgtbl_v1', { amdPgtable: 'v1' }],
  ['pgtbl_v2', { amdPgtable: 'v2' }],
  ['irtcachedis', { amdIrtCacheDisable: true }],
  ['nohugepages', { amdPageSizes: '4k' }, 'AMD-Vi: Restricting V1 page-sizes to 4KiB'],
  ['v2_pgsizes_only', { amdPageSizes: '4k-2m-1g' }, 'AMD-Vi: Restricting V1 page-sizes to 4KiB/2MiB/1GiB'],
];

/** intel_iommu_setup() / parse_amd_iommu_options(): first prefix that matches wins. */
function driverOptions(c: IommuCmdline, value: string, table: readonly DriverOption[], prefix: string): void {
  forEachOption(value, (opt) => {
    const hit = table.find(([name]) => opt.startsWith(name));
    if (!hit) c.messages.push(`${prefix}: Unknown option - '${opt}'`);
    else {
      Object.assign(c, hit[1]);
      if (hit[2]) c.messages.push(hit[2]);
    }
  });
}

/** x86 iommu_setup(): every prefix test runs (no else), as in arch/x86/kernel/pci-dma.c. */
function x86IommuOptions(c: IommuCmdline, value: string): void {
  forEachOption(value, (p) => {
    if (p.startsWith('off')) c.noIommu = true;
    if (p.startsWith('forcesac')) c.messages.push('PCI-DMA: forcesac option ignored.');
    if (p.startsWith('allowdac')) c.messages.push('PCI-DMA: allowdac option ignored.');
    if (p.startsWith('nodac')) c.messages.push('PCI-DMA: nodac option ignored.');
    if (p.startsWith('pt')) c.passthrough = true;
    if (p.startsWith('nopt')) c.passthrough = false;
  });
}

/** do_early_param(): a handler that fails prints this. */
function malformed(c: IommuCmdline, key: string): void {
  c.messages.push(`Malformed early option '${key}'`);
}

const HANDLERS: Record<string, (c: IommuCmdline, value: string | undefined, key: string) => void> = {
  intel_iommu: (c, v) => v !== undefined && driverOptions(c, v, INTEL_OPTIONS, 'DMAR'),
  amd_iommu: (c, v, k) => (v === undefined || v === '' ? malformed(c, k) : driverOptions(c, v, AMD_OPTIONS, 'AMD-Vi')),
  iommu: (c, v, k) => (v === undefined ? malformed(c, k) : x86IommuOptions(c, v)),
  'iommu.passthrough': (c, v, k) => {
    const b = kstrtobool(v ?? '');
    if (b === undefined) malformed(c, k);
    else c.passthrough = b;
  },
  'iommu.strict': (c, v, k) => {
    const b = kstrtobool(v ?? '');
    if (b === undefined) return malformed(c, k);
    c.strict = b;
    c.strictFromCmdline = true;
  },
  'iommu.forcedac': (c, v, k) => {
    const b = kstrtobool(v ?? '');
    if (b === undefined) return malformed(c, k);
    c.forcedac = b;
    if (b) c.messages.push('iommu: Forcing DAC for PCI devices');
  },
  // setup_io_tlb_npages(): [<slabs>][,<areas>][,force|noforce] — each part optional ("swiotlb=force").
  swiotlb: (c, v, k) => {
    if (!v) return malformed(c, k);
    const p = parseSwiotlbParam(v);
    c.swiotlb = {
      ...(p.nslabs !== undefined && { slabs: p.nslabs }),
      ...(p.nareas !== undefined && { areas: p.nareas }),
      ...(p.force && { force: true }),
    };
  },
  intremap: (c, v) => {
    for (const o of ['nopost', 'no_x2apic_optout', 'nosid', 'off', 'on'] as const) if (v?.startsWith(o)) c.intremap = o;
  },
};

/** Parses a full kernel command line for the IOMMU parameters it carries. */
/**
 * Parameters only an x86 kernel has: arch/x86's early_param("iommu") (pci-dma.c), the Intel and AMD
 * IOMMU drivers' intel_iommu= / amd_iommu= (x86-only drivers), intremap= (x86 interrupt remapping).
 */
export const X86_ONLY_PARAMS: ReadonlySet<string> = new Set(['iommu', 'intel_iommu', 'amd_iommu', 'intremap']);

export function parseIommuCmdline(cmdline: string, arch: 'x86' | 'arm64' = 'x86'): IommuCmdline {
  const c = emptyCmdline();
  for (const { key, value } of splitKernelArgs(cmdline)) {
    if (arch === 'arm64' && X86_ONLY_PARAMS.has(key)) {
      c.foreign.push(value === undefined ? key : `${key}=${value}`);
      continue;
    }
    const handler = HANDLERS[key];
    if (handler) handler(c, value, key);
    else if (!isBootPlumbing(key)) c.ignored.push(value === undefined ? key : `${key}=${value}`);
  }
  // print_unknown_bootoptions() (init/main.c); only the x86 ones are known to be unknown here.
  if (c.foreign.length)
    c.messages.push(`Unknown kernel command line parameters "${c.foreign.join(' ')}", will be passed to user space.`);
  return c;
}
