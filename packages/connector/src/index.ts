export type { AccessGrants, VerifiedAccess } from "./access-grants.js";
export {
  type AccessTokenOptions,
  createAccessToken,
  DEFAULT_TOKEN_TTL_MS,
  MAX_TOKEN_FIELD_CHARS,
} from "./access-token.js";
export { ConnectorError, type ConnectorErrorCode, InvalidSettingError } from "./errors.js";
export { MIN_SECRET_BYTES } from "./token-secret.js";
export {
  MAX_TOKEN_CHARS,
  requireGrant,
  type VerifyAccessTokenOptions,
  verifyAccessToken,
} from "./verify-access-token.js";
