import { type Wording, type WordingValues, wording } from '../i18n/wording.ts';

/**
 * The one error class of Gatehouse. Every refusal a user or client can cause has a code from this
 * catalog, an HTTP status and a message fit to show; anything else is a bug and answers 500 with
 * no details.
 */
export const ERROR_CATALOG = {
  invalid_input: { status: 400, message: 'The request is not valid.' },
  invalid_credentials: { status: 400, message: 'The email address or password is incorrect.' },
  password_rejected: { status: 400, message: 'The password does not meet the requirements.' },
  csrf_failed: { status: 403, message: 'The form has expired. Go back, reload the page and try again.' },
  unauthenticated: { status: 401, message: 'You are not signed in.' },
  forbidden: { status: 403, message: 'You are not allowed to do this.' },
  two_factor_enrolment_required: {
    status: 403,
    message: 'Your account needs two-factor authentication. Sign in through the sign-in page to set it up.',
  },
  reauthentication_required: {
    status: 403,
    message: 'For your security, sign in again before changing how you sign in.',
  },
  local_login_denied: {
    status: 403,
    message: 'Signing in with a password is turned off. Use your organisation’s sign-in.',
  },
  not_found: { status: 404, message: 'Not found.' },
  conflict: { status: 409, message: 'That already exists.' },
  email_taken: { status: 409, message: 'A user with that email address already exists.' },
  client_exists: { status: 409, message: 'A client with that id already exists.' },
  token_invalid: { status: 400, message: 'This link is not valid any more. Ask for a new one.' },
  payload_too_large: { status: 413, message: 'The request is too large.' },
  unsupported_media_type: { status: 415, message: 'The request body must be a form or JSON.' },
  rate_limited: { status: 429, message: 'Too many requests. Try again later.' },
  interaction_expired: {
    status: 400,
    message: 'This sign-in has expired or was already completed. Start again from the application.',
  },
  upstream_unavailable: { status: 502, message: 'The sign-in provider is not available right now.' },
  external_login_failed: { status: 400, message: 'Signing in with that provider did not work.' },
  internal: { status: 500, message: 'Something went wrong on our side.' },
  service_unavailable: {
    status: 503,
    message: 'Gatehouse cannot reach its database right now. Try again in a moment.',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;

  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  /**
   * The message catalogue's key for a message written for one case (`locales/*.json`): pages show it
   * in the reader's language; the English `message` goes to APIs and logs.
   */
  messageKey?: string | undefined;
  messageValues?: WordingValues | undefined;
  /** Several reasons at once (a password's broken rules) for pages; `details.errors` has their English. */
  reasons?: Wording[] | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERROR_CATALOG[code].message);
    this.code = code;
    this.details = details;
    this.status = ERROR_CATALOG[code].status;
  }

  /** An error whose message is the catalogue entry `messageKey` (its English text from `en.json`). */
  static keyed(
    code: ErrorCode,
    messageKey: string,
    values?: WordingValues,
    details?: Record<string, unknown>,
  ): AppError {
    return AppError.worded(code, wording(messageKey, values), details);
  }

  /** An error that says `w` (a sign-in refusal, a check's finding), translated on pages when keyed. */
  static worded(code: ErrorCode, w: Wording, details?: Record<string, unknown>): AppError {
    const error = new AppError(code, w.message, details);
    error.messageKey = w.messageKey;
    error.messageValues = w.messageValues;
    return error;
  }
}
