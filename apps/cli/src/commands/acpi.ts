// SPDX-License-Identifier: Apache-2.0
// `iofleet acpi ...`: DMAR and IVRS tables — decode, encode, validate. Inputs may be raw binary
// tables or acpidump text output; malformed input gives exit status 1 and one `error:` line.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  decodeDmar,
  decodeIvrs,
  encodeDmar,
  encodeIvrs,
  fromJson,
  listDmar,
  listIvrs,
  pickTable,
  toJson,
  validateChecksum,
  validateDmar,
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

function decodeFile(file: string) {
  const { signature, bytes } = pickTable(readInput(file));
  return signature === 'DMAR'
    ? ({ table: 'DMAR', dmar: decodeDmar(bytes), bytes } as const)
    : ({ table: 'IVRS', ivrs: decodeIvrs(bytes), bytes } as const);
}

export function registerAcpi(program: Command): void {
  const acpi = program
    .command('acpi')
    .description('firmware tables: decode, encode, validate and build DMAR (Intel VT-d) and IVRS (AMD-Vi)');

  acpi
    .command('decode <file>')
    .description('decode a DMAR or IVRS table (raw binary, or acpidump text output) into a field listing or --json')
    .option('--json', 'print the decoded table as JSON (64-bit values as "0x..." strings)')
    .action(
      action((file: string, opts: { json?: boolean }) => {
        const d = decodeFile(file);
        if (opts.json)
          process.stdout.write(
            `${d.table === 'DMAR' ? toJson({ table: 'DMAR', dmar: d.dmar }) : toJson({ table: 'IVRS', ivrs: d.ivrs })}\n`,
          );
        else process.stdout.write(d.table === 'DMAR' ? listDmar(d.dmar) : listIvrs(d.ivrs));
      }),
    );

  acpi
    .command('encode <decoded.json>')
    .description('encode the JSON written by `acpi decode --json` back into a binary table')
    .requiredOption('-o, --output <file>', 'where to write the table')
    .option('--fix-checksum', 'recompute Length and Checksum (after editing fields)')
    .action(
      action((file: string, opts: { output: string; fixChecksum?: boolean }) => {
        const t = fromJson(new TextDecoder().decode(readInput(file)));
        const out =
          t.table === 'DMAR'
            ? encodeDmar(t.dmar, { fixChecksum: opts.fixChecksum })
            : encodeIvrs(t.ivrs, { fixChecksum: opts.fixChecksum });
        writeFileSync(opts.output, out);
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
        const findings = [
          ...validateChecksum(d.bytes, d.table),
          ...(d.table === 'DMAR' ? validateDmar(d.dmar) : validateIvrs(d.ivrs)),
        ];
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
      "build the DMAR (Intel) or IVRS (AMD) table a described host's firmware would carry: its IOMMU units and scopes, RMRRs, ATS, address width",
    )
    .requiredOption('-o, --output <file>', 'where to write the table')
    .action(
      action(async (file: string, opts: { output: string }) => {
        const { buildHostFirmware } = await import('@iofleet/host');
        const fw = buildHostFirmware(file);
        writeFileSync(opts.output, fw.bytes);
        process.stdout.write(`${opts.output}: ${fw.signature}, ${fw.bytes.length} bytes\n`);
      }),
    );
}
