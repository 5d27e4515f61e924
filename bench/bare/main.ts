import Fastify from 'fastify';

/**
 * The bare ceiling of `npm run bench:ingest`: Fastify alone, validating the same event body
 * with a JSON schema (compiled by Ajv, as Fastify does), no logging, no auth, no metrics, no
 * database — what any Node service answering this request cannot beat on this machine.
 * Not part of the service.
 */
const text = (maxLength: number, minLength = 0) => ({ type: 'string', minLength, maxLength, pattern: '^[\\x20-\\x7e]*$' });

const eventSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['user_id', 'action'],
  properties: {
    event_id: { type: 'string', format: 'uuid' },
    user_id: { oneOf: [text(128, 1), { type: 'integer' }] },
    action: text(100, 1),
    timestamp: { type: 'string', format: 'date-time' },
    sent_at: { type: 'string', format: 'date-time' },
    metadata: { type: 'object' },
    site_id: text(128),
    path: text(2048),
  },
};

async function main() {
  const app = Fastify({ logger: false });
  app.post('/api/event/validate', { schema: { body: eventSchema } }, async (_request, reply) => {
    void reply.code(200);
    return { status: 'valid' };
  });
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  console.log('bare Fastify listening');
}

void main();
