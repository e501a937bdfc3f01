// SPDX-License-Identifier: Apache-2.0

export { type Scenario, scenarioSchema, type Variant, type VmShape } from './scenario/schema';
export {
  parseTraceNodes,
  parseTracePods,
  TraceFormatError,
  type TraceNode,
  type TracePod,
} from './trace/alibaba-gpu';
