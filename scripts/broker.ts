/**
 * `make broker` (run by `make start` and `make migrate`): the RabbitMQ set-up of the shop on the
 * local node, through rabbitmqctl: a user per service (shop-auth, shop-catalog, shop-order) with
 * the password of its AMQP URL, least-privilege permissions and topic permissions, the exchanges,
 * every queue and binding, the policy bounding the dead-letter queues, and the node's
 * max_message_size (rabbitmqctl eval: until the node restarts). Idempotent: run it as often as you like.
 *
 * The URLs are AUTH_AMQP_URL, CATALOG_AMQP_URL, ORDER_AMQP_URL (environment or .env); unset, each
 * is the local broker, vhost `/`, as the service's user with its dev-only password.
 *
 * `bun scripts/broker.ts --definitions` prints the same set-up as a RabbitMQ definitions file
 * instead (what broker/definitions.json holds: compose.yaml loads it at boot), with an
 * administrator `shop-admin` for the management UI (password BROKER_ADMIN_PASSWORD, default
 * shop-admin-dev-password).
 */
import {
  applyBrokerSetup,
  brokerDefinitions,
  passwordsOf,
  rabbitmqctlAvailable,
  serviceAmqpUrl,
  vhostOf,
} from '@shop/platform/bus/broker-setup'
import { type Service, SERVICES } from '@shop/platform/bus/ownership'
import { MAX_MESSAGE_BYTES } from '@shop/platform/bus/topology'

const urls = Object.fromEntries(SERVICES.map((s) => [s, serviceAmqpUrl(s)])) as Record<Service, string>
const vhosts = [...new Set(SERVICES.map((s) => vhostOf(urls[s])))]
if (vhosts.length !== 1) {
  console.error(`broker: the three services must share one vhost; their URLs name ${vhosts.join(', ')}`)
  process.exit(1)
}
let passwords: Record<Service, string>
try {
  passwords = passwordsOf(urls)
} catch (e) {
  console.error(`broker: ${(e as Error).message}`)
  process.exit(1)
}
const vhost = vhosts[0]!

if (process.argv.includes('--definitions')) {
  const admin = { name: 'shop-admin', password: process.env.BROKER_ADMIN_PASSWORD || 'shop-admin-dev-password' }
  console.log(JSON.stringify(brokerDefinitions({ vhost, passwords, admins: [admin] }), null, 2))
  process.exit(0)
}

if (!(await rabbitmqctlAvailable())) {
  console.error(
    'broker: rabbitmqctl cannot reach a local RabbitMQ node. Start RabbitMQ (or run this ' +
      'where rabbitmqctl works), or load the definitions instead: bun scripts/broker.ts ' +
      '--definitions > definitions.json, then rabbitmqctl import_definitions definitions.json',
  )
  process.exit(1)
}
try {
  await applyBrokerSetup({ vhost, passwords })
} catch (e) {
  console.error(`broker: ${(e as Error).message}`)
  process.exit(1)
}
console.log(
  `broker: vhost ${vhost}: users ${SERVICES.map((s) => new URL(urls[s]).username).join(', ')}, ` +
    `permissions, topic permissions, exchanges, queues, bindings and the dead-letter policy in place; ` +
    `the node takes no message over ${MAX_MESSAGE_BYTES} bytes`,
)
