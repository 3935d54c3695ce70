/**
 * The inbox port of idempotent consumers: `claim` records an event id inside the consumer's
 * transaction and says whether it is new. A redelivered event claims nothing and changes nothing.
 */
export interface Inbox {
  claim(eventId: string, type: string): Promise<boolean>
}
