// File uploads (the GraphQL multipart request spec) from real clients: importLibrary with urql,
// whose fetch exchange sends File variables as multipart by itself, and with Apollo Client 4
// through an upload link (apollo-upload-client's createUploadLink does the same; it is not a
// dependency here, so the link is written out: FormData with operations, map and the file).
// Every multipart request carries Apollo-Require-Preflight: the server refuses those without it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ApolloClient, ApolloLink, InMemoryCache, gql } from '@apollo/client';
import { Client, fetchExchange } from '@urql/core';
import { Observable } from 'rxjs';

import { registerUser, startServer } from './support/server.mjs';

const IMPORT = `
  mutation ImportLibrary($file: Upload!, $source: LibrarySource!, $dryRun: Boolean) {
    importLibrary(file: $file, source: $source, dryRun: $dryRun) {
      job { id status } errors { code message }
    }
  }`;
const IMPORT_JOB = `query ImportJob($id: ID!) { importJob(id: $id) { id status processed matched skipped } }`;
const RATINGS_CSV =
  'Date,Name,Year,Letterboxd URI,Rating\r\n' +
  '2021-03-05,Amélie,2001,https://boxd.it/2b0w,4.5\r\n' +
  '2021-03-06,"Crouching Tiger, Hidden Dragon",2000,https://boxd.it/1ZGq,5\r\n';
const PREFLIGHT = { 'apollo-require-preflight': 'true' };

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

function urqlClient(token, headers = PREFLIGHT) {
  return new Client({
    url: server.graphqlUrl,
    exchanges: [fetchExchange],
    requestPolicy: 'network-only',
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}`, ...headers } }),
  });
}

/** Polls importJob until the job has ended (it runs in the server's background). */
async function finished(token, id) {
  const client = urqlClient(token, {});
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const result = await client.query(IMPORT_JOB, { id }).toPromise();
    assert.equal(result.error, undefined, result.error?.message);
    const job = result.data.importJob;
    if (job.status === 'SUCCEEDED' || job.status === 'FAILED') return job;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`import ${id} did not end`);
}

/** Apollo's terminating link for uploads: File variables go as multipart parts, the rest as JSON. */
function uploadLink(uri) {
  return new ApolloLink(
    (operation) =>
      new Observable((observer) => {
        const files = new Map();
        const variables = Object.fromEntries(
          Object.entries(operation.variables).map(([name, value]) => {
            if (value instanceof Blob) {
              files.set(String(files.size), { path: `variables.${name}`, value });
              return [name, null];
            }
            return [name, value];
          }),
        );
        const form = new FormData();
        form.append('operations', JSON.stringify({ query: operation.query.loc.source.body, variables }));
        form.append('map', JSON.stringify(Object.fromEntries([...files].map(([key, file]) => [key, [file.path]]))));
        for (const [key, file] of files) form.append(key, file.value, file.value.name);
        const { headers = {} } = operation.getContext();
        fetch(uri, { method: 'POST', body: form, headers: { ...PREFLIGHT, ...headers } })
          .then((response) => response.json())
          .then((body) => {
            observer.next(body);
            observer.complete();
          })
          .catch((error) => observer.error(error));
      }),
  );
}

describe('importLibrary uploads a file', () => {
  test('urql sends the File as a multipart request and the import matches both rows', async () => {
    const { accessToken } = await registerUser(server.graphqlUrl, 'Urql');
    const file = new File([RATINGS_CSV], 'ratings.csv', { type: 'text/csv' });
    const result = await urqlClient(accessToken)
      .mutation(IMPORT, { file, source: 'LETTERBOXD' })
      .toPromise();
    assert.equal(result.error, undefined, result.error?.message);
    assert.deepEqual(result.data.importLibrary.errors, []);
    const job = await finished(accessToken, result.data.importLibrary.job.id);
    assert.deepEqual(
      { status: job.status, processed: job.processed, matched: job.matched, skipped: job.skipped },
      { status: 'SUCCEEDED', processed: 2, matched: 2, skipped: 0 },
    );
  });

  test('urql without the preflight header is refused (CSRF protection)', async () => {
    const { accessToken } = await registerUser(server.graphqlUrl, 'Forged');
    const file = new File([RATINGS_CSV], 'ratings.csv', { type: 'text/csv' });
    const result = await urqlClient(accessToken, {}).mutation(IMPORT, { file, source: 'LETTERBOXD' }).toPromise();
    assert.equal(result.data ?? null, null);
    assert.match(result.error.message, /Apollo-Require-Preflight/);
    assert.equal(result.error.response.status, 400);
  });

  test('Apollo Client uploads through an upload link, dry run first', async () => {
    const { accessToken } = await registerUser(server.graphqlUrl, 'Apollo');
    const client = new ApolloClient({ link: uploadLink(server.graphqlUrl), cache: new InMemoryCache() });
    const upload = (dryRun) =>
      client.mutate({
        mutation: gql(IMPORT),
        variables: { file: new File([RATINGS_CSV], 'ratings.csv'), source: 'LETTERBOXD', dryRun },
        context: { headers: { authorization: `Bearer ${accessToken}` } },
      });
    for (const dryRun of [true, false]) {
      const { data } = await upload(dryRun);
      assert.deepEqual(data.importLibrary.errors, []);
      const job = await finished(accessToken, data.importLibrary.job.id);
      assert.equal(job.matched, 2);
    }
    const { data } = await client.query({
      query: gql`{ viewer { ratings(first: 10) { totalCount } } }`,
      context: { headers: { authorization: `Bearer ${accessToken}` } },
    });
    assert.equal(data.viewer.ratings.totalCount, 2); // the dry run wrote nothing, the import both
  });
});
