import { HttpProblem, invalidBody, unwrapWith } from '@shop/platform/http/problem'
import type { AuthError } from '../../domain/errors.ts'

/** The one place where auth's domain errors become HTTP statuses. */
export function toProblem(e: AuthError): HttpProblem {
  switch (e.type) {
    case 'UsernameTaken':
      return new HttpProblem(409, 'USERNAME_TAKEN', `username ${e.username} is taken`)
    case 'EmailTaken':
      return new HttpProblem(409, 'EMAIL_TAKEN', 'that email is already registered')
    case 'InvalidCredentials':
      return new HttpProblem(401, 'INVALID_CREDENTIALS', 'wrong username or password')
    case 'TooManyAttempts':
      return new HttpProblem(
        429,
        'TOO_MANY_ATTEMPTS',
        `too many failed logins; try again in ${e.retryAfterSeconds} s`,
        {
          headers: { 'Retry-After': String(e.retryAfterSeconds) },
        },
      )
    case 'TooManyRegistrations':
      return new HttpProblem(
        429,
        'TOO_MANY_REGISTRATIONS',
        `too many registrations from this address; try again in ${e.retryAfterSeconds} s`,
        {
          headers: { 'Retry-After': String(e.retryAfterSeconds) },
        },
      )
    case 'InvalidToken':
      return new HttpProblem(401, 'INVALID_TOKEN', 'the token is invalid, expired or revoked')
    case 'UserNotFound':
      return new HttpProblem(404, 'USER_NOT_FOUND', `user ${e.id} not found`)
    case 'WrongCurrentPassword':
      return new HttpProblem(403, 'WRONG_CURRENT_PASSWORD', 'current_password is wrong')
    case 'CurrentPasswordRequired':
      return invalidBody('current_password', 'current_password is required to change the password')
    case 'CannotDeleteSelf':
      return new HttpProblem(409, 'CANNOT_DELETE_SELF', 'an admin cannot delete their own account')
  }
}

/** A use case's result, or its error thrown as the problem above. */
export const unwrap = unwrapWith(toProblem)
