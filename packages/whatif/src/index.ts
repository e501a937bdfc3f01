// SPDX-License-Identifier: Apache-2.0

export { generateArrivals, type VmArrival, vmFromShape } from './engine/arrivals';
export { type FleetTotals, fleetTotals } from './engine/compare';
export {
  applyVariant,
  bootVariant,
  firstIndex,
  fleetHostId,
  fleetHosts,
  loadTemplates,
  placementBlueprint,
  type Template,
} from './engine/fleet';
export { type ClassFigures, type IoRun, ioRunKey, type RunFigures } from './engine/io-figures';
export {
  PLACE_MANY_STEPS,
  type PlacementOutcome,
  type PlacementStep,
  type PlaceResult,
  type Placer,
  policyPlacer,
  runPlacement,
  runPlacementWith,
  STRANDED_SAMPLES,
} from './engine/placement-run';
export {
  loadScenario,
  type Phase,
  type SimBackend,
  type SimulateOptions,
  type SimulationReport,
  simulate,
  simulateScenario,
  simulateWith,
  type VariantBackend,
  type VariantDiff,
  type VariantResult,
} from './engine/simulate';
export { type Column, headline, IO_COLUMNS, PLACEMENT_COLUMNS } from './report/columns';
export { renderCsv } from './report/csv';
export { renderHtml } from './report/html';
export { renderTable, type TableOptions } from './report/table';
export { scenarioJsonSchema } from './scenario/json-schema';
export { type Scenario, scenarioSchema, type Variant, type VmShape } from './scenario/schema';
export {
  parseTraceNodes,
  parseTracePods,
  TraceFormatError,
  type TraceNode,
  type TracePod,
} from './trace/alibaba-gpu';
