/**
 * Every way a scan can be wrong has its own stable code; messages are written for the line operator who has to act.
 * The codes travel in MQTT `reject` payloads, so never rename one: add new ones.
 */
export const ScanErrorCode = {
  EMPTY_SCAN: 'EMPTY_SCAN',
  NO_READ: 'NO_READ',
  CONTROL_CHARACTER: 'CONTROL_CHARACTER',
  WRONG_SYMBOLOGY: 'WRONG_SYMBOLOGY',
  NOT_GS1_DATA: 'NOT_GS1_DATA',
  UNKNOWN_AI: 'UNKNOWN_AI',
  VALUE_TOO_SHORT: 'VALUE_TOO_SHORT',
  VALUE_TOO_LONG: 'VALUE_TOO_LONG',
  INVALID_CHARACTER: 'INVALID_CHARACTER',
  BAD_CHECK_DIGIT: 'BAD_CHECK_DIGIT',
  INVALID_DATE: 'INVALID_DATE',
  INVALID_VALUE: 'INVALID_VALUE',
  MISSING_SEPARATOR: 'MISSING_SEPARATOR',
  DUPLICATE_AI: 'DUPLICATE_AI',
  MISSING_ASSOCIATED_AI: 'MISSING_ASSOCIATED_AI',
  CONFLICTING_AIS: 'CONFLICTING_AIS',
  MISSING_EXPECTED_AI: 'MISSING_EXPECTED_AI',
  INVALID_GTIN_LENGTH: 'INVALID_GTIN_LENGTH',
  INVALID_DIGITAL_LINK: 'INVALID_DIGITAL_LINK',
  INVALID_EPC_URI: 'INVALID_EPC_URI',
} as const;

export type ScanErrorCode = (typeof ScanErrorCode)[keyof typeof ScanErrorCode];

/** Every scan error code, for schemas and exhaustive tests. */
export const SCAN_ERROR_CODES = Object.values(ScanErrorCode) as readonly ScanErrorCode[];

export interface ScanError {
  readonly code: ScanErrorCode;
  /** What went wrong and what to do, in the operator's words. */
  readonly message: string;
  /** The Application Identifier concerned, when there is one. */
  readonly ai?: string;
  /** Character offset in the data (after any symbology identifier) where the problem was found. */
  readonly position?: number;
}

export function scanError(code: ScanErrorCode, message: string, extra?: { ai?: string; position?: number }): ScanError {
  const e: { code: ScanErrorCode; message: string; ai?: string; position?: number } = { code, message };
  if (extra?.ai !== undefined) e.ai = extra.ai;
  if (extra?.position !== undefined) e.position = extra.position;
  return e;
}
