export class SigningBusyError extends Error {
  override name = 'SigningBusyError';
}
export class SigningTimeoutError extends Error {
  override name = 'SigningTimeoutError';
}
export class SigningFailedError extends Error {
  override name = 'SigningFailedError';
}
