import type { Context } from 'hono'

/** The answer to a create: 201 with the new resource as JSON, and `Location` naming its URL. */
export function created<J>(c: Context, location: string, json: J) {
  c.header('Location', location)
  return c.json(json, 201)
}
