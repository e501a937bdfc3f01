// SPDX-License-Identifier: Apache-2.0

export { generateArrivals, MAX_SCENARIO_VMS, type VmArrival, vmFromShape } from './engine/arrivals';
export {
  applyVariant,
  bootVariant,
  fleetHosts,
  loadTemplates,
  placementBlueprint,
  type Template,
} from './engine/fleet';
export { type ClassFigures, ioFigures } from './engine/io-figures';
export { type PlacementOutcome, runPlacement, STRANDED_SAMPLES } from './engine/placement-run';
export {
  loadScenario,
  type Phase,
  type SimulateOptions,
  type SimulationReport,
  simulate,
  simulateScenario,
  type VariantDiff,
  type VariantResult,
} from './engine/simulate';
export { renderHtml } from './report/html';
export { renderTable } from './report/table';
export { type Scenario, scenarioSchema, type Variant, type VmShape } from './scenario/schema';
export {
  parseTraceNodes,
  parseTracePods,
  TraceFormatError,
  type TraceNode,
  type TracePod,
} from './trace/alibaba-gpu';
