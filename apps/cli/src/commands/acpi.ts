// SPDX-License-Identifier: Apache-2.0
// `iofleet acpi ...`: DMAR, IVRS and IORT tables — decode, encode, validate, build. Inputs may be
// raw binary tables or acpidump text output; malformed input gives exit status 1 and one `error:`
// line.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  type DecodedTable,
  decodeDmar,
  decodeIort,
  decodeIvrs,
  encodeDmar,
  encodeIort,
  encodeIvrs,
  fromJson,
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
        const fw = (await import('@iofleet/host')).buildHostFirmware(file);
        writeFileSync(opts.output, fw.bytes);
        process.stdout.write(`${opts.output}: ${fw.signature}, ${fw.bytes.length} bytes\n`);
      }),
    );
}
