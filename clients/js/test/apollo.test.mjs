// Apollo Client 4 against a real reelgraph: normalized cache, cursor pagination with fetchMore,
// automatic persisted queries, and errors as an Apollo app sees them.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { relayStylePagination } from '@apollo/client/utilities';
import { print } from 'graphql';
import { from, switchMap } from 'rxjs';

import { exampleVariables, operation, post, registerUser, startServer } from './support/server.mjs';

const TRENDING = gql(operation('TrendingMovies'));
const MOVIE_DETAIL = gql(operation('MovieDetail'));
const SET_INTERACTION = gql(operation('SetInteraction'));
const VIEWER = gql(operation('Viewer'));
const REGISTER = gql(operation('Register'));
const REFRESH_TOKEN = gql(operation('RefreshToken'));

/** The cache configuration the README recommends. */
function createCache() {
  return new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          // `first` and `after` are paging arguments: pages of one list share one cache entry.
          trending: relayStylePagination(['window', 'includeHidden', 'language']),
          discover: relayStylePagination(['filter', 'sort', 'includeHidden', 'language']),
          movies: relayStylePagination(['list', 'region', 'includeHidden', 'language']),
        },
      },
    },
  });
}

/** An Apollo client that signs requests with `token` and records every HTTP request body. */
function createClient(graphqlUrl, { token = null, links = [] } = {}) {
  const requests = [];
  const countingFetch = async (input, init) => {
    requests.push(JSON.parse(init.body));
    return fetch(input, init);
  };
  const auth = new SetContextLink(({ headers }) => ({
    headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  }));
  const client = new ApolloClient({
    link: ApolloLink.from([auth, ...links, new HttpLink({ uri: graphqlUrl, fetch: countingFetch })]),
    cache: createCache(),
  });
  return { client, requests };
}

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

describe('normalized cache', () => {
  test('Movie, Genre, Person and User are normalized by id', async () => {
    const { accessToken, user } = await registerUser(server.graphqlUrl);
    const { client } = createClient(server.graphqlUrl, { token: accessToken });

    await client.query({ query: TRENDING, variables: { first: 5 } });
    await client.query({ query: MOVIE_DETAIL, variables: exampleVariables('MovieDetail') });
    const { data: viewer } = await client.query({ query: VIEWER });
    assert.equal(viewer.viewer.id, user.id);

    const keys = Object.keys(client.extract());
    for (const typename of ['Movie', 'Genre', 'Person', 'User']) {
      assert.ok(
        keys.some((key) => key.startsWith(`${typename}:`)),
        `no normalized ${typename} entry in ${keys.join(', ')}`,
      );
    }
    // One entry per object, wherever it was fetched from: The Matrix's genres are the very
    // Genre entries the trending page refers to.
    const matrix = client.readQuery({ query: MOVIE_DETAIL, variables: exampleVariables('MovieDetail') }).movie;
    assert.equal(client.cache.identify(matrix), `Movie:${matrix.id}`);
    assert.equal(client.cache.identify({ __typename: 'User', id: user.id }), `User:${user.id}`);
    assert.ok(client.extract()[`User:${user.id}`], 'the viewer is stored under its id');
  });

  test('setInteraction(SEEN) updates the cached movie without a refetch; a refetched page drops it', async () => {
    const { accessToken } = await registerUser(server.graphqlUrl, 'Seen');
    const { client, requests } = createClient(server.graphqlUrl, { token: accessToken });
    const variables = { first: 10 };

    const { data: first } = await client.query({ query: TRENDING, variables });
    const movie = first.trending.edges[0].node;
    assert.deepEqual(movie.viewerInteractions, []);

    const before = requests.length;
    const { data: result } = await client.mutate({
      mutation: SET_INTERACTION,
      variables: { movieId: movie.tmdbId, kind: 'SEEN' },
    });
    assert.deepEqual(result.setInteraction.errors, []);
    assert.equal(requests.length, before + 1, 'only the mutation went to the server');

    // The mutation payload carried { id, viewerInteractions }: the cached Movie changed in place,
    // and so did the trending page that refers to it, with no request.
    const cachedMovie = client.readFragment({
      id: client.cache.identify(movie),
      fragment: gql`
        fragment SeenMovie on Movie {
          id
          title
          viewerInteractions
        }
      `,
    });
    assert.deepEqual(cachedMovie.viewerInteractions, ['SEEN']);
    const cachedPage = client.readQuery({ query: TRENDING, variables });
    assert.deepEqual(
      cachedPage.trending.edges.find((edge) => edge.node.id === movie.id).node.viewerInteractions,
      ['SEEN'],
    );
    assert.equal(requests.length, before + 1, 'reading the cache sent nothing');

    // The server hides seen movies from the viewer's lists: a refetched page no longer has it.
    const { data: refetched } = await client.query({ query: TRENDING, variables, fetchPolicy: 'network-only' });
    assert.equal(requests.length, before + 2);
    const ids = refetched.trending.edges.map((edge) => edge.node.id);
    assert.equal(ids.length, 10, 'the page is refilled to `first` movies');
    assert.ok(!ids.includes(movie.id), `${movie.title} is still on the refetched page`);
  });
});

describe('cursor pagination', () => {
  test('fetchMore merges pages into one list without duplicates', async () => {
    const { client, requests } = createClient(server.graphqlUrl);
    const observable = client.watchQuery({ query: TRENDING, variables: { first: 10 } });
    const results = [];
    const subscription = observable.subscribe((result) => results.push(result));
    try {
      const firstPage = await waitForData(observable);
      assert.equal(firstPage.trending.edges.length, 10);

      let endCursor = firstPage.trending.pageInfo.endCursor;
      for (let page = 2; page <= 3; page += 1) {
        const { data } = await observable.fetchMore({ variables: { after: endCursor } });
        assert.equal(data.trending.edges.length, 10, `page ${page} has 10 movies`);
        endCursor = data.trending.pageInfo.endCursor;
      }

      // relayStylePagination appended both pages to the one cached list; the watching query
      // is told (asynchronously, once the cache broadcasts) and sees all 30.
      const merged = client.readQuery({ query: TRENDING, variables: { first: 10 } }).trending;
      const watched = await waitFor(() => results.at(-1)?.data?.trending.edges.length === 30 && results.at(-1));
      assert.deepEqual(watched.data.trending, merged);
      const ids = merged.edges.map((edge) => edge.node.id);
      assert.equal(ids.length, 30);
      assert.equal(new Set(ids).size, 30, 'a movie appears twice across pages');
      assert.equal(new Set(merged.edges.map((edge) => edge.cursor)).size, 30);
      assert.equal(merged.pageInfo.endCursor, endCursor);
      assert.equal(merged.pageInfo.hasNextPage, true);
      assert.equal(requests.length, 3, 'one request per page');
      assert.deepEqual(
        requests.map((body) => body.variables.after ?? null),
        [null, requests[1].variables.after, requests[2].variables.after],
      );
    } finally {
      subscription.unsubscribe();
    }
  });
});

describe('automatic persisted queries', () => {
  test('the persisted-queries link sends hashes once the server knows them', async (t) => {
    // Detect support: a hash the server has never seen must be answered PersistedQueryNotFound.
    const probe = await post(server.graphqlUrl, {
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256('query Probe { __typename }') } },
    });
    const messages = (probe.body.errors ?? []).map((error) => error.message);
    const codes = (probe.body.errors ?? []).map((error) => error.extensions?.code);
    if (!messages.includes('PersistedQueryNotFound') && !codes.includes('PERSISTED_QUERY_NOT_FOUND')) {
      t.skip(
        `the server does not support APQ yet: a hash-only request got ${JSON.stringify(probe.body.errors)} ` +
          'instead of PersistedQueryNotFound',
      );
      return;
    }

    const persisted = () => new PersistedQueryLink({ sha256: async (query) => sha256(query) });
    const first = createClient(server.graphqlUrl, { links: [persisted()] });
    const { data } = await first.client.query({ query: TRENDING, variables: { first: 3 } });
    assert.equal(data.trending.edges.length, 3);
    // First the hash alone; PersistedQueryNotFound; then hash and query, which registers it.
    assert.deepEqual(
      first.requests.map((body) => [body.query === undefined, Boolean(body.extensions?.persistedQuery)]),
      [
        [true, true],
        [false, true],
      ],
    );

    // A second app instance sends only the hash, and the server answers from its registry.
    const second = createClient(server.graphqlUrl, { links: [persisted()] });
    const { data: again } = await second.client.query({ query: TRENDING, variables: { first: 3 } });
    const ids = (result) => result.trending.edges.map((edge) => edge.node.id);
    assert.deepEqual(ids(again), ids(data));
    assert.equal(second.requests.length, 1);
    assert.equal(second.requests[0].query, undefined, 'the query text was sent again');
    assert.match(second.requests[0].extensions.persistedQuery.sha256Hash, /^[0-9a-f]{64}$/);
  });
});

describe('token refresh', () => {
  // The same link as createAuthLink in src/usage.ts (type-checked there) and the README.
  function createAuthLink(uri, store) {
    let refreshing = null;
    const refresh = () =>
      (refreshing ??= (async () => {
        const response = await fetch(uri, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: print(REFRESH_TOKEN), variables: { refreshToken: store.refreshToken } }),
        });
        const payload = (await response.json()).data?.refreshToken;
        if (!payload?.accessToken || payload.errors.length > 0) {
          store.clear();
          throw new Error('signed out');
        }
        store.set(payload.accessToken, payload.refreshToken);
      })().finally(() => {
        refreshing = null;
      }));
    const retryOnce = new ErrorLink(({ error, operation, forward }) => {
      const unauthenticated =
        CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
      if (!unauthenticated || !store.refreshToken || operation.getContext().retried) return;
      operation.setContext({ retried: true });
      return from(refresh()).pipe(switchMap(() => forward(operation)));
    });
    const sign = new SetContextLink(({ headers }) => ({
      headers: { ...headers, ...(store.accessToken ? { authorization: `Bearer ${store.accessToken}` } : {}) },
    }));
    return ApolloLink.from([retryOnce, sign]);
  }

  function tokenStore(accessToken, refreshToken) {
    return {
      accessToken,
      refreshToken,
      set(access, refresh) {
        this.accessToken = access;
        this.refreshToken = refresh;
      },
      clear() {
        this.accessToken = null;
        this.refreshToken = null;
      },
    };
  }

  test('UNAUTHENTICATED refreshes the tokens once and retries; a spent refresh token signs out', async () => {
    const { refreshToken, user } = await registerUser(server.graphqlUrl, 'Refresh');
    const store = tokenStore('an.expired.token', refreshToken);
    const requests = [];
    const client = new ApolloClient({
      link: createAuthLink(server.graphqlUrl, store).concat(
        new HttpLink({
          uri: server.graphqlUrl,
          fetch: (input, init) => {
            requests.push(init.headers.authorization ?? null);
            return fetch(input, init);
          },
        }),
      ),
      cache: createCache(),
    });

    const { data } = await client.query({ query: VIEWER });
    assert.equal(data.viewer.id, user.id);
    assert.deepEqual(requests, ['Bearer an.expired.token', `Bearer ${store.accessToken}`]);
    assert.notEqual(store.refreshToken, refreshToken, 'the refresh token rotated');

    // The old refresh token no longer works (INVALID_REFRESH_TOKEN): the app signs out.
    const stale = tokenStore('another.expired.token', refreshToken);
    const staleClient = new ApolloClient({
      link: createAuthLink(server.graphqlUrl, stale).concat(new HttpLink({ uri: server.graphqlUrl })),
      cache: createCache(),
    });
    await assert.rejects(staleClient.query({ query: VIEWER }), /signed out/);
    assert.equal(stale.refreshToken, null);
  });
});

describe('errors', () => {
  test('top-level errors carry the documented extensions.code', async () => {
    const { accessToken: userToken } = await registerUser(server.graphqlUrl, 'Plain');
    const cases = [
      {
        code: 'UNAUTHENTICATED',
        token: 'not-a-real-token',
        query: VIEWER,
        variables: {},
      },
      {
        code: 'BAD_USER_INPUT',
        query: TRENDING,
        variables: { first: 101 },
      },
      {
        code: 'GRAPHQL_VALIDATION_FAILED',
        query: gql`
          query Unknown {
            trending(first: 1) {
              edges {
                node {
                  noSuchField
                }
              }
            }
          }
        `,
        variables: {},
      },
      {
        code: 'FORBIDDEN',
        token: userToken,
        query: gql`
          query Users {
            users(first: 5) {
              totalCount
            }
          }
        `,
        variables: {},
      },
    ];
    for (const { code, token, query, variables } of cases) {
      const { client } = createClient(server.graphqlUrl, { token });
      const { error } = await client.query({ query, variables, errorPolicy: 'all', fetchPolicy: 'network-only' });
      assert.ok(CombinedGraphQLErrors.is(error), `${code}: expected GraphQL errors, got ${error}`);
      assert.deepEqual(
        error.errors.map((graphqlError) => graphqlError.extensions?.code),
        [code],
        `${code}: ${JSON.stringify(error.errors)}`,
      );
      // With the default errorPolicy ('none') the same request rejects with that error.
      await assert.rejects(client.query({ query, variables, fetchPolicy: 'network-only' }), (rejection) =>
        CombinedGraphQLErrors.is(rejection),
      );
    }
  });

  test('expected mutation failures come back as UserErrors in the payload', async () => {
    const { email } = await registerUser(server.graphqlUrl, 'Taken');
    const { client } = createClient(server.graphqlUrl);
    const { data, error } = await client.mutate({
      mutation: REGISTER,
      variables: { input: { email, password: 'another long password', name: 'Copy' } },
    });
    assert.equal(error, undefined);
    assert.equal(data.register.accessToken, null);
    assert.deepEqual(
      data.register.errors.map(({ code, field }) => ({ code, field })),
      [{ code: 'EMAIL_TAKEN', field: ['input', 'email'] }],
    );
  });
});

function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

async function waitFor(condition, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function waitForData(observable) {
  return waitFor(() => {
    const { data, loading } = observable.getCurrentResult();
    return !loading && data;
  });
}
