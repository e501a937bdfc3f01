// SPDX-License-Identifier: Apache-2.0
export {
  CALIBRATION_RUN_MS,
  CALIBRATION_TOLERANCE,
  calibrate,
  type RowResult,
  rowHolds,
  rowsBaseDir,
} from './calibrate';
export { BUILTIN_ROWS_FILE, type CalibrationRow, loadRows, rowSchema, rowsFileSchema } from './rows';
