// SPDX-License-Identifier: Apache-2.0
export {
  CALIBRATION_RUN_MS,
  CALIBRATION_TOLERANCE,
  calibrate,
  type ProfileChange,
  predictRow,
  type RowResult,
  rowHolds,
  rowsBaseDir,
} from './calibrate';
export {
  type CrossValidation,
  crossValidate,
  DEPENDS_SHIFT,
  MOVE,
  moveParameters,
  PUBLICATIONS,
  parametersFrom,
  publicationOf,
  rowSource,
} from './cross-validate';
export { BUILTIN_ROWS_FILE, type CalibrationRow, loadRows, rowSchema, rowsFileSchema } from './rows';
