// SPDX-License-Identifier: Apache-2.0
// @iofleet/errors: the one shape of iofleet's typed errors (typed-error.ts), and the one check of a
// numeric command-line option that every iofleet process uses (option.ts).

export {
  flagOrEnvNumber,
  inRange,
  isOptionError,
  type NumberRange,
  numberOption,
  numberParser,
  OptionError,
} from './option';
export { type ErrorDetails, errorBrand, TypedError } from './typed-error';
