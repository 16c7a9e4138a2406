// graphql-ws (the graphql-transport-ws protocol) against a real reelgraph: the chatStream
// subscription, and the access token sent in connection_init as browsers cannot set headers on a
// WebSocket.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import { exampleVariables, operation, registerUser, serverHasField, startServer } from './support/server.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

function wsClient(accessToken) {
  return createClient({
    url: server.wsUrl,
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: 0,
    connectionParams: accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
  });
}

/** Whether /graphql accepts a graphql-transport-ws WebSocket at all, and why not. */
async function webSocketRefusal() {
  return new Promise((resolve) => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    socket.once('open', () => {
      socket.close();
      resolve(null);
    });
    socket.once('error', (error) => resolve(error.message));
  });
}

async function collect(client, payload, timeoutMs = 30_000) {
  const events = [];
  const iterator = client.iterate(payload);
  const timer = setTimeout(() => iterator.return?.(), timeoutMs);
  try {
    for await (const event of iterator) events.push(event);
  } finally {
    clearTimeout(timer);
  }
  return events;
}

describe('graphql-ws', () => {
  test('a query over the WebSocket is signed in by connectionParams', async (t) => {
    const refusal = await webSocketRefusal();
    if (refusal) {
      t.skip(`the server has no WebSocket endpoint at /graphql yet: ${refusal}`);
      return;
    }
    const { accessToken, user } = await registerUser(server.graphqlUrl, 'Socket');
    const client = wsClient(accessToken);
    try {
      const events = await collect(client, { query: operation('Viewer') });
      assert.equal(events.length, 1);
      assert.equal(events[0].errors, undefined, JSON.stringify(events[0].errors));
      assert.equal(events[0].data.viewer.id, user.id);
    } finally {
      await client.dispose();
    }
  });

  test('chatStream streams text deltas, then a final delta with the whole payload', async (t) => {
    if (!(await serverHasField(server.graphqlUrl, 'Subscription', 'chatStream'))) {
      t.skip('Subscription.chatStream is not in the server schema yet (introspection)');
      return;
    }
    const { accessToken } = await registerUser(server.graphqlUrl, 'Chatty');
    const client = wsClient(accessToken);
    try {
      const events = await collect(client, {
        query: operation('ChatStream'),
        variables: exampleVariables('ChatStream'),
      });
      for (const event of events) assert.equal(event.errors, undefined, JSON.stringify(event.errors));
      const deltas = events.map((event) => event.data.chatStream);
      assert.ok(deltas.length >= 2, `expected several deltas, got ${JSON.stringify(deltas)}`);

      const last = deltas.at(-1);
      assert.equal(last.done, true, 'the stream ended without a done delta');
      assert.ok(deltas.slice(0, -1).every((delta) => delta.done === false && delta.payload === null));
      assert.ok(last.payload, 'the final delta has no payload');
      assert.deepEqual(last.payload.errors, []);
      assert.ok(last.payload.reply.length > 0);
      assert.equal(deltas.map((delta) => delta.text).join(''), last.payload.reply, 'deltas add up to the reply');
      assert.ok(last.payload.movies.length > 0, 'the assistant suggested no movie');
    } finally {
      await client.dispose();
    }
  });
});
