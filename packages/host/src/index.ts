// SPDX-License-Identifier: Apache-2.0

export {
  type HostDescription,
  hostDescriptionSchema,
  type PciNodeDescription,
} from './description/schema';
export { type LoadedYaml, loadYamlWithSchema, parseYamlWithSchema, pathToString } from './description/yaml-schema';
export { type DescriptionIssue, formatIssue, HostError, type HostErrorCode, isHostError } from './errors';
