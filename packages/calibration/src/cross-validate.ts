// SPDX-License-Identifier: Apache-2.0
// Leave-one-source-out, without refitting: a calibration row tests the model only if no parameter
// it depends on was set from its own source. Each cost-profile parameter lists the measurements it
// was set from (CostParam.from); for every row, each parameter of its host's profile set from the
// row's publication is moved by MOVE, one at a time (moved together, two can cancel), and the row
// predicted again. A row whose prediction moves depends on parameters set from itself: its agreement is in-sample. One that
// does not move (or has no such parameter) is predicted out of sample. Nothing is refitted: this
// only says which agreements are evidence.

import type { CostParam, CostProfile, MeasurementId } from '@iofleet/core/cost';
import { hostCostProfile, loadHostDescription, type PluginRegistry } from '@iofleet/host';
import { mapRows, type OnRow, predictRow, type RowResult, rowHostFile } from './calibrate';
import type { CalibrationRow } from './rows';

/** Measurements published together: leaving one source out leaves all of them out. */
export const PUBLICATIONS: readonly (readonly MeasurementId[])[] = [
  // Rubin et al., SOSP 2024: U06's l0 and lm were fitted by the authors on the runs of R16.
  ['R16', 'U06'],
  // Neugebauer et al., SIGCOMM 2018 (pcie-bench): the throughput and latency sweeps of one host.
  ['R30', 'R34'],
  // Ming Lei, 2021: U12's strict iommu_dma_unmap_sg time is the bpftrace average of R08's strict run.
  ['R08', 'U12'],
];

/** How far the parameters set from a row's source are moved (x 1.2; counts by at least one). */
export const MOVE = 1.2;
/** A prediction that shifts by more than this (relative) depends on the moved parameters. */
export const DEPENDS_SHIFT = 0.01;

export interface CrossValidation {
  id: string;
  /** The published measurement the row comes from (its id's prefix), or null for a row id without one. */
  source: MeasurementId | null;
  /** Every id published with it (PUBLICATIONS): what "leaving the source out" leaves out. */
  publication: readonly MeasurementId[];
  /** Parameters of the row's host profile set from its publication. */
  selfParameters: string[];
  /** Those of them that move the prediction by more than DEPENDS_SHIFT. */
  dependsOn: string[];
  predicted: number;
  /** The largest |moved - predicted| / predicted over the parameters moved one at a time (0 without any). */
  shift: number;
  /** The row's prediction depends on parameters set from its own source: in-sample. */
  inSample: boolean;
  /** The plain calibration result of the row. */
  result: RowResult;
}

/** The measurement id a row id starts with ('R02-strict-pt' -> 'R02'), or null. */
export function rowSource(rowId: string): MeasurementId | null {
  const m = /^([RU]\d\d)(?:$|[-_.])/.exec(rowId);
  return m ? (m[1] as MeasurementId) : null;
}

export function publicationOf(id: MeasurementId): readonly MeasurementId[] {
  return PUBLICATIONS.find((p) => p.includes(id)) ?? [id];
}

/** Names of the profile's parameters (cpuGhz included) set from any of `ids`. */
export function parametersFrom(profile: CostProfile, ids: readonly MeasurementId[]): string[] {
  const all: Array<[string, CostParam]> = [['cpuGhz', profile.cpuGhz], ...Object.entries(profile.params)];
  return all.filter(([, p]) => p.from.some((f) => ids.includes(f))).map(([n]) => n);
}

const moveParam = (p: CostParam): CostParam => ({
  ...p,
  value: p.unit === 'count' ? Math.max(p.value + 1, Math.round(p.value * MOVE)) : p.value * MOVE,
});

/** The profile with the named parameters moved by MOVE. */
export function moveParameters(profile: CostProfile, names: readonly string[]): CostProfile {
  const params = { ...profile.params } as Record<string, CostParam>;
  for (const n of names) if (n !== 'cpuGhz') params[n] = moveParam(params[n]!);
  return {
    ...profile,
    cpuGhz: names.includes('cpuGhz') ? moveParam(profile.cpuGhz) : profile.cpuGhz,
    params: params as unknown as CostProfile['params'],
  };
}

/**
 * Cross-validates every row (leave-one-source-out, nothing refitted). `onRow` reports progress.
 */
export function crossValidate(
  rows: readonly CalibrationRow[],
  plugins: PluginRegistry,
  baseDir: string,
  onRow?: OnRow,
): CrossValidation[] {
  return mapRows(rows, onRow, (row) => {
    const result = predictRow(row, plugins, baseDir);
    const source = rowSource(row.id);
    const publication = source ? publicationOf(source) : [];
    const own = hostCostProfile(loadHostDescription(rowHostFile(row, baseDir)));
    const selfParameters = parametersFrom(own, publication);
    const shifts = selfParameters.map((name) => {
      const moved = predictRow(row, plugins, baseDir, (p) => moveParameters(p, [name])).predicted;
      return { name, shift: Math.abs(moved - result.predicted) / result.predicted };
    });
    const dependsOn = shifts.filter((s) => s.shift > DEPENDS_SHIFT).map((s) => s.name);
    return {
      id: row.id,
      source,
      publication,
      selfParameters,
      dependsOn,
      predicted: result.predicted,
      shift: Math.max(0, ...shifts.map((s) => s.shift)),
      inSample: dependsOn.length > 0,
      result,
    };
  });
}
