import {
  type Actor,
  type OrderStatus,
  ORDER_STATUSES,
  OWNER_DELETABLE,
  OWNER_SETTABLE,
  STATUSES,
  STOCK_HELD,
} from '../../domain/status.ts'

/** "a", "a or b", "a, b or c". */
export function anyOf(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`
}

/** The statuses `actor` may move an order from into `to`. */
const movesInto = (to: OrderStatus, actor: Actor): OrderStatus[] =>
  ORDER_STATUSES.filter((from) => STATUSES[to].from[from]?.includes(actor))

/** The admin's moves, by the status they lead to: "a → b, a | c → d". */
const adminMoves = ORDER_STATUSES.flatMap((to) => {
  const from = movesInto(to, 'admin')
  return from.length ? [`${from.join(' | ')} → ${to}`] : []
}).join(', ')

/** The statuses only the system enters: the catalog's stock answers. */
const systemOnly = ORDER_STATUSES.filter((to) => {
  const movers = Object.values(STATUSES[to].from).flat()
  return movers.length > 0 && movers.every((a) => a === 'system')
})

/** What the owner may set: `{"status": "cancelled"}` while it is pending, confirmed or paid. */
const ownerMoves = OWNER_SETTABLE.map((s) => `\`{"status": "${s}"}\` while it is ${anyOf(movesInto(s, 'owner'))}`).join(
  ', or ',
)

/**
 * The OpenAPI descriptions of the order routes: where the contract is silent, these say what the
 * service does (and the tests hold it to that). Lists of statuses come from the status table.
 */
export const descriptions = {
  service: [
    "Orders and their lifecycle. Products are validated against this service's replica of the catalog, built",
    'from product.* events;',
    "stock is the catalog's alone and is reserved asynchronously (order.placed → stock.reserved / stock.rejected).",
    'Money is a decimal string with exactly two fraction digits; totals are exact.',
  ].join(' '),

  create: [
    '`user_id` is taken from the token; any `user_id`, `status`, `total`, `name`, `unit_price` or `line_total`',
    'in the body is ignored.',
    'Lines for the same product are merged (quantities summed); the merged quantity must still be 1..1000.',
    'Every product must be known to the replica and not deleted, else 422 `UNKNOWN_PRODUCTS` with the sorted',
    'ids in the extension field `product_ids`',
    '(and in `errors[0].message`). Stock is not checked here: the catalog answers the reservation, and the',
    'order then becomes confirmed or rejected.',
    '`name` and `unit_price` are snapshots of the replica at this moment.',
    '`shipping_address`: optional, a string of 1..1000 characters after trimming, or null.',
    'Emits `order.placed` in the same transaction.',
  ].join(' '),

  idempotencyKey: [
    '1..255 characters. Bound to the user and to the sha256 of the canonical JSON of the validated body',
    '(unknown fields dropped, keys sorted, a missing',
    'shipping_address counted as null). A repeat with the same key and body returns 201 with the order the',
    'first request created, as it is now',
    '(its status may have moved on), with `Idempotent-Replayed: true`, and creates nothing; concurrent repeats',
    'create one order.',
    'The same key with another body is 422 `IDEMPOTENCY_KEY_REUSED`. Keys are per user. A request that failed',
    '(e.g. 422) stores nothing, so its key can be',
    'used again. When the first order has since been deleted, a repeat is 409 `IDEMPOTENT_ORDER_DELETED`. Keys',
    'are kept indefinitely.',
  ].join(' '),

  list: [
    "Filters: `status`; `user_id` (for an ADMIN, that user's orders; for a USER it only narrows their own",
    "list, so another user's id gives an empty list).",
    'Newest first (created_at, then id, descending). `X-Total-Count` and `Link` (next/prev) as everywhere.',
  ].join(' '),

  update: [
    'The owner may send `items` and/or `shipping_address` while the order is pending',
    '(409 `ORDER_NOT_EDITABLE` afterwards), or',
    `${ownerMoves}.`,
    `An ADMIN sends \`{"status"}\` along the allowed transitions: ${adminMoves};`,
    "only the catalog's stock answer sets",
    `${anyOf(systemOnly)}. Any other move is 409 \`TRANSITION_NOT_ALLOWED\` (including to the current status).`,
    'A field the caller may not set is refused with 403 and nothing changes: a `status` other than',
    anyOf(OWNER_SETTABLE.map((s) => `"${s}"`)),
    "from a USER (`STATUS_CHANGE_FORBIDDEN`, whatever the order's status, its current one included; the status",
    'asked for in `to`), and `items` or',
    "`shipping_address` from an ADMIN on someone else's order (`ORDER_EDIT_FORBIDDEN`, even with the values",
    'the order has; the parts in `fields`).',
    'Fields the operation does not take (`user_id`, `total`, `unit_price`, `line_total`, `name`) are ignored.',
    '`status` together with `items` or',
    '`shipping_address` that would change them is 422. Sending what the order already has changes nothing and',
    'is 200, whatever the status,',
    'so the owner\'s whole representation sent back with status "cancelled" is just a cancel.',
    'Edited lines: a product the order already had keeps its name and unit_price snapshot; a new product is',
    'snapshotted now; products must be known',
    'and not deleted (422 `UNKNOWN_PRODUCTS`).',
    'Stock: an order has at most one reservation request with the catalog at a time. Editing the items of a',
    'pending order emits nothing at once; when',
    'the catalog answers the request in flight, a reservation of the old lines is released (`order.cancelled`)',
    'and the current lines are placed again',
    '(`order.placed`), and a rejection of the old lines places the current ones again; the order is confirmed',
    'or rejected only by an answer about',
    `its current lines. Cancelling a ${anyOf(STOCK_HELD)} order emits \`order.cancelled\``,
    '(the catalog puts the stock back);',
    'cancelling a pending one emits',
    'nothing, and if the catalog reserves it afterwards the stock is released at once.',
  ].join(' '),

  deleteSummary: `Delete an order (the owner while ${anyOf(OWNER_DELETABLE)}; an admin always)`,

  delete: [
    `The owner may delete an order that is ${anyOf(OWNER_DELETABLE)} (else 409 \`ORDER_NOT_DELETABLE\`);`,
    'an ADMIN any order.',
    `Its lines and history go with it. Deleting a ${anyOf(STOCK_HELD)} order gives its reserved stock back`,
    '(`order.cancelled`); for a pending one, a reservation that arrives',
    'later is released.',
  ].join(' '),

  history: [
    'Not in the API contract: every status change of the order, oldest first, starting with its creation',
    '(`from` null, `to` pending).',
    '`actor` is owner, admin or system; `changed_by` the user id, or "system" for the catalog\'s stock answers',
    "and a user's deletion.",
    "A rejection carries the catalog's `reason` and `product_ids`.",
  ].join(' '),
}
