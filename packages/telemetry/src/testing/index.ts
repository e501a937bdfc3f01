// SPDX-License-Identifier: Apache-2.0
export { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './otlp-receiver';
