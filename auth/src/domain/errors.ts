/** Expected failures of the auth use cases; the HTTP adapter maps each type to a status. */
export type AuthError =
  | { readonly type: 'UsernameTaken'; readonly username: string }
  | { readonly type: 'EmailTaken'; readonly email: string }
  | { readonly type: 'InvalidCredentials' }
  | { readonly type: 'TooManyAttempts'; readonly retryAfterSeconds: number }
  | { readonly type: 'TooManyRegistrations'; readonly retryAfterSeconds: number }
  | { readonly type: 'InvalidToken' }
  | { readonly type: 'UserNotFound'; readonly id: string }
  | { readonly type: 'WrongCurrentPassword' }
  | { readonly type: 'CurrentPasswordRequired' }
  | { readonly type: 'CannotDeleteSelf' }

export type Conflict = Extract<AuthError, { type: 'UsernameTaken' | 'EmailTaken' }>
export type TooManyRegistrations = Extract<AuthError, { type: 'TooManyRegistrations' }>
