// SPDX-License-Identifier: Apache-2.0
// `iofleet acpi ...`: DMAR, IVRS and IORT tables — decode, encode, validate, build. Inputs may be
// raw binary tables or acpidump text output; malformed input gives exit status 1 and one `error:`
// line.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  type ArmIommuDescription,
  buildIort,
  type DecodedTable,
  decodeDmar,
  decodeIort,
  decodeIvrs,
  encodeDmar,
  encodeIort,
  encodeIvrs,
  fromJson,
  iortSpecForArmHost,
  listDmar,
  listIort,
  listIvrs,
  pickTable,
  toJson,
  validateChecksum,
  validateDmar,
  validateIort,
  validateIvrs,
} from '@iofleet/acpi';
import { parseBdf } from '@iofleet/core';
import type { Command } from 'commander';
import { action, CliError } from '../cli-error';

function readInput(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new CliError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function decodeFile(file: string): DecodedTable & { bytes: Uint8Array } {
  const { signature, bytes } = pickTable(readInput(file));
  if (signature === 'DMAR') return { table: 'DMAR', dmar: decodeDmar(bytes), bytes };
  if (signature === 'IORT') return { table: 'IORT', iort: decodeIort(bytes), bytes };
  return { table: 'IVRS', ivrs: decodeIvrs(bytes), bytes };
}

const listing = (d: DecodedTable): string =>
  d.table === 'DMAR' ? listDmar(d.dmar) : d.table === 'IORT' ? listIort(d.iort) : listIvrs(d.ivrs);

const encode = (d: DecodedTable, fixChecksum?: boolean): Uint8Array =>
  d.table === 'DMAR'
    ? encodeDmar(d.dmar, { fixChecksum })
    : d.table === 'IORT'
      ? encodeIort(d.iort, { fixChecksum })
      : encodeIvrs(d.ivrs, { fixChecksum });

const validate = (d: DecodedTable) =>
  d.table === 'DMAR' ? validateDmar(d.dmar) : d.table === 'IORT' ? validateIort(d.iort) : validateIvrs(d.ivrs);

const json = (d: DecodedTable): string =>
  toJson(
    d.table === 'DMAR'
      ? { table: 'DMAR', dmar: d.dmar }
      : d.table === 'IORT'
        ? { table: 'IORT', iort: d.iort }
        : { table: 'IVRS', ivrs: d.ivrs },
  );

/**
 * The part of an Arm host file (cpu.vendor: arm) the IORT is built from; docs/acpi.md describes it.
 * Until packages/host boots Arm hosts, `acpi build` reads it here and ignores the rest of the file.
 * zod is loaded by the command that needs it (the CLI starts without it).
 */
async function armHostSchema() {
  const { z } = await import('zod');
  /** Integers written as numbers or strings ("0x..."); addresses as bigint. */
  const int = z.union([
    z.number().int().nonnegative(),
    z
      .string()
      .regex(/^(0x[0-9a-fA-F]+|\d+)$/)
      .transform(Number),
  ]);
  const addr = z.union([int, z.bigint()]).transform((v) => BigInt(v));
  const rid = int.refine((v) => v <= 0xffff, 'a 16-bit requester ID');
  return z.object({
    name: z.string().min(1),
    cpu: z.object({ vendor: z.literal('arm') }).passthrough(),
    iommu: z
      .object({
        its: z.array(z.array(int).min(1)).min(1).optional(),
        ats: z.boolean().default(false),
        units: z
          .array(
            z
              .object({
                base: addr,
                segment: int.default(0),
                rids: z.tuple([rid, rid]).optional(),
                streamIdBase: int.optional(),
                its: int.optional(),
                numaNode: int.optional(),
                gsiv: z.object({ event: int, pri: int, gerr: int, sync: int }).strict().optional(),
              })
              .strict(),
          )
          .min(1),
        rmr: z.array(z.object({ base: addr, end: addr, devices: z.array(z.string()).min(1) }).strict()).default([]),
      })
      .passthrough(),
    pci: z.array(z.object({ bdf: z.string() }).passthrough()).default([]),
  });
}

function bdfOf(text: string, where: string): { segment: number; bdf: number } {
  const p = parseBdf(text);
  if (!p) throw new CliError(`${where}: "${text}" is not a PCI address (bb:dd.f or ssss:bb:dd.f)`);
  return p;
}

/** The IORT of an Arm host file, or undefined when the file describes another vendor's host. */
async function buildArmIort(file: string): Promise<Uint8Array | undefined> {
  const { parse: parseYaml } = await import('yaml');
  let doc: unknown;
  try {
    doc = parseYaml(new TextDecoder().decode(readInput(file)));
  } catch (e) {
    throw new CliError(`${file}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const vendor = (doc as { cpu?: { vendor?: unknown } } | null)?.cpu?.vendor;
  if (vendor !== 'arm') return undefined;
  const r = (await armHostSchema()).safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new CliError(`${file}: ${i.path.join('.')}: ${i.message}`);
  }
  const h = r.data;
  const desc: ArmIommuDescription = {
    ats: h.iommu.ats,
    units: h.iommu.units,
    reserved: h.iommu.rmr.flatMap((m, k) =>
      m.devices.map((d) => {
        const p = bdfOf(d, `iommu.rmr[${k}].devices`);
        return { base: m.base, end: m.end, segment: p.segment, rid: p.bdf };
      }),
    ),
  };
  if (h.iommu.its) desc.its = h.iommu.its;
  const segments = h.pci.map((p, k) => bdfOf(p.bdf, `pci[${k}].bdf`).segment);
  return buildIort(iortSpecForArmHost(desc, segments));
}

export function registerAcpi(program: Command): void {
  const acpi = program
    .command('acpi')
    .description(
      'firmware tables: decode, encode, validate and build DMAR (Intel VT-d), IVRS (AMD-Vi) and IORT (Arm SMMU)',
    );

  acpi
    .command('decode <file>')
    .description(
      'decode a DMAR, IVRS or IORT table (raw binary, or acpidump text output) into a field listing or --json',
    )
    .option('--json', 'print the decoded table as JSON (64-bit values as "0x..." strings)')
    .action(
      action((file: string, opts: { json?: boolean }) => {
        const d = decodeFile(file);
        process.stdout.write(opts.json ? `${json(d)}\n` : listing(d));
      }),
    );

  acpi
    .command('encode <decoded.json>')
    .description('encode the JSON written by `acpi decode --json` back into a binary table')
    .requiredOption('-o, --output <file>', 'where to write the table')
    .option('--fix-checksum', 'recompute Length and Checksum (after editing fields)')
    .action(
      action((file: string, opts: { output: string; fixChecksum?: boolean }) => {
        writeFileSync(opts.output, encode(fromJson(new TextDecoder().decode(readInput(file))), opts.fixChecksum));
      }),
    );

  acpi
    .command('validate <file>')
    .description(
      'report what the firmware gets wrong (as Linux would complain); exit 1 when an error-severity finding exists',
    )
    .option('--json', 'print the findings as JSON')
    .action(
      action((file: string, opts: { json?: boolean }) => {
        const d = decodeFile(file);
        const findings = [...validateChecksum(d.bytes, d.table), ...validate(d)];
        if (opts.json) process.stdout.write(`${JSON.stringify({ table: d.table, findings }, null, 2)}\n`);
        else if (findings.length === 0) process.stdout.write(`${file}: ${d.table} OK, no findings\n`);
        else
          for (const f of findings)
            process.stdout.write(
              `${f.severity}: ${f.code}${f.structure !== undefined ? ` (structure ${f.structure})` : ''}: ${f.message}\n`,
            );
        if (findings.some((f) => f.severity === 'error')) process.exitCode = 1;
      }),
    );

  acpi
    .command('build <host.yaml>')
    .description(
      "build the DMAR (Intel), IVRS (AMD) or IORT (Arm) table a described host's firmware would carry: its IOMMU units and scopes or RID mappings, reserved ranges, ATS, address width",
    )
    .requiredOption('-o, --output <file>', 'where to write the table')
    .action(
      action(async (file: string, opts: { output: string }) => {
        const iort = await buildArmIort(file);
        const fw = iort ? { signature: 'IORT', bytes: iort } : (await import('@iofleet/host')).buildHostFirmware(file);
        writeFileSync(opts.output, fw.bytes);
        process.stdout.write(`${opts.output}: ${fw.signature}, ${fw.bytes.length} bytes\n`);
      }),
    );
}
