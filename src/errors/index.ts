export { AppError } from './app-error.js';
export { ConfigError } from './config-error.js';
export {
  ProviderError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ProviderUnauthorizedError,
  ProviderRejectedError,
  UnsupportedRefError,
  type ProviderErrorClass,
  type ProviderErrorDetails,
} from './provider-error.js';
