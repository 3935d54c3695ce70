import type { ExampleBook } from '@shop/platform/http/openapi-meta'

/**
 * The examples of auth's OpenAPI document, written from what `make seed` leaves behind (alice, bob, carol and the
 * dev admin). tests/openapi/examples.test.ts checks each against its schema.
 */
const ALICE = {
  id: '755d37e1-08a6-4d09-b4de-b7f004f5ba89',
  username: 'alice',
  email: 'alice@example.com',
  full_name: 'Alice',
  role: 'USER',
  created_at: '2026-12-06T04:06:03.101Z',
  updated_at: '2026-12-06T04:06:03.101Z',
} as const
const ADMIN = {
  id: 'f268b6ed-ecd3-4bdb-91f1-6fa189519b00',
  username: 'admin',
  email: 'admin@example.com',
  full_name: null,
  role: 'ADMIN',
  created_at: '2026-12-06T04:06:02.708Z',
  updated_at: '2026-12-06T04:06:02.708Z',
} as const
const TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI3NTVkMzdlMS0wOGE2LTRkMDktYjRkZS1iN2YwMDRmNWJhODkiLCJ1c2VybmFtZSI6' +
  'ImFsaWNlIiwicm9sZSI6IlVTRVIiLCJpYXQiOjE3OTY1Mjk5NjQsImV4cCI6MTc5NjUzMTc2NCwiaXNzIjoic2hvcC1hdXRoIiwi' +
  'YXVkIjoic2hvcCJ9' +
  '.3q2Dv3pW0xQy5yJ0cS1bXg8Zx4hTq2mN9vK7LwR1sAE'
const UNKNOWN_USER = '0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f'

export const authExamples: ExampleBook = {
  register: {
    request: { username: 'alice', email: 'alice@example.com', password: 'alice-password', full_name: 'Alice' },
    responses: { 201: ALICE },
    problems: {
      409: { code: 'USERNAME_TAKEN', detail: 'username alice is taken' },
      422: {
        code: 'VALIDATION_FAILED',
        detail: 'the request body is invalid',
        errors: [
          {
            path: 'email',
            message:
              "email's domain must be ASCII (punycode) or written in a single script, without invisible characters",
          },
        ],
      },
      429: { code: 'TOO_MANY_REGISTRATIONS', detail: 'too many registrations from this address; try again in 3412 s' },
    },
  },
  login: {
    request: { username: 'alice', password: 'alice-password' },
    responses: { 200: { access_token: TOKEN, token_type: 'bearer', expires_in: 1800 } },
    problems: {
      401: { code: 'INVALID_CREDENTIALS', detail: 'wrong username or password' },
      429: { code: 'TOO_MANY_ATTEMPTS', detail: 'too many failed logins; try again in 847 s' },
    },
  },
  verifyToken: {
    request: { token: TOKEN },
    responses: { 200: { valid: true, user_id: ALICE.id, username: 'alice', role: 'USER', exp: 1796531764 } },
    problems: { 401: { code: 'INVALID_TOKEN', detail: 'the token is invalid, expired or revoked' } },
  },
  logoutAll: {},
  getMe: { responses: { 200: ALICE } },
  updateMe: {
    request: { full_name: 'Alice Liddell', password: 'a-new-password', current_password: 'alice-password' },
    responses: { 200: { ...ALICE, full_name: 'Alice Liddell', updated_at: '2026-12-06T09:12:44.518Z' } },
    problems: {
      403: { code: 'WRONG_CURRENT_PASSWORD', detail: 'current_password is wrong' },
      409: { code: 'EMAIL_TAKEN', detail: 'that email is already registered' },
    },
  },
  listUsers: { responses: { 200: [ADMIN, ALICE] } },
  changeRole: {
    parameters: { id: ALICE.id },
    request: { role: 'ADMIN' },
    responses: { 200: { ...ALICE, role: 'ADMIN', updated_at: '2026-12-06T09:15:02.004Z' } },
    problems: { 404: { code: 'USER_NOT_FOUND', detail: `user ${ALICE.id} not found` } },
  },
  deleteUser: {
    parameters: { id: UNKNOWN_USER },
    problems: {
      404: { code: 'USER_NOT_FOUND', detail: `user ${UNKNOWN_USER} not found` },
      409: { code: 'CANNOT_DELETE_SELF', detail: 'an admin cannot delete their own account' },
    },
  },
}
