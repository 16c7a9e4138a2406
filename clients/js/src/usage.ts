// How an app uses the generated typed documents. `npm run typecheck` (tsc --noEmit) compiles this
// against src/generated, so a schema change that breaks a documented operation, or an app that
// reads a field the operation no longer selects, fails the build.
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { relayStylePagination } from '@apollo/client/utilities';
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';
import { print } from 'graphql';
import { from, switchMap } from 'rxjs';

import {
  LoginDocument,
  MovieDetailDocument,
  RefreshTokenDocument,
  type RefreshTokenMutation,
  SetInteractionDocument,
  TrendingMoviesDocument,
  type InteractionKind,
  type TrendingMoviesQuery,
} from './generated/graphql';

type MovieCard = TrendingMoviesQuery['trending']['edges'][number]['node'];

/** Where the app keeps its tokens (memory, secure storage...). */
export interface TokenStore {
  accessToken: string | null;
  refreshToken: string | null;
  set(accessToken: string, refreshToken: string): void;
  clear(): void;
}

/**
 * Signs every request, and on UNAUTHENTICATED trades the refresh token for a new pair once and
 * retries. Refreshes are serialized: refresh tokens rotate, and presenting one that was already
 * used ends the whole login session.
 */
export function createAuthLink(uri: string, store: TokenStore): ApolloLink {
  let refreshing: Promise<void> | null = null;
  const refresh = (): Promise<void> =>
    (refreshing ??= (async () => {
      const response = await fetch(uri, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: print(RefreshTokenDocument), variables: { refreshToken: store.refreshToken } }),
      });
      const { data } = (await response.json()) as { data?: RefreshTokenMutation };
      const payload = data?.refreshToken;
      if (!payload?.accessToken || !payload.refreshToken || payload.errors.length > 0) {
        store.clear(); // INVALID_REFRESH_TOKEN: send the user to sign in again
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

export function createApollo(uri: string, store: TokenStore): ApolloClient {
  return new ApolloClient({
    link: createAuthLink(uri, store).concat(new HttpLink({ uri })),
    cache: new InMemoryCache({
      typePolicies: {
        Query: {
          fields: {
            // Pages of one list (same filters) merge into one cached list; see fetchMore.
            trending: relayStylePagination(['window', 'includeHidden', 'language']),
            discover: relayStylePagination(['filter', 'sort', 'includeHidden', 'language']),
            movies: relayStylePagination(['list', 'region', 'includeHidden', 'language']),
          },
        },
      },
    }),
  });
}

export async function trendingTitles(client: ApolloClient, after: string | null = null): Promise<string[]> {
  const { data } = await client.query({ query: TrendingMoviesDocument, variables: { first: 20, after } });
  const cards: MovieCard[] = data?.trending.edges.map((edge) => edge.node) ?? [];
  return cards.map((movie) => `${movie.title} (${movie.year ?? 'n/a'})`);
}

export async function signIn(client: ApolloClient, email: string, password: string) {
  const { data } = await client.mutate({ mutation: LoginDocument, variables: { input: { email, password } } });
  const payload = data?.login;
  if (!payload || payload.errors.length > 0) {
    throw new Error(payload?.errors.map((error) => error.code).join(', ') ?? 'no payload');
  }
  return { accessToken: payload.accessToken, refreshToken: payload.refreshToken };
}

export async function mark(client: ApolloClient, movieId: number, kind: InteractionKind) {
  const { data } = await client.mutate({ mutation: SetInteractionDocument, variables: { movieId, kind } });
  const kinds: readonly InteractionKind[] = data?.setInteraction.movie?.viewerInteractions ?? [];
  return kinds;
}

export async function movieTitle(uri: string, tmdbId: number): Promise<string | null> {
  const urql = new Client({ url: uri, exchanges: [cacheExchange, fetchExchange] });
  const result = await urql.query(MovieDetailDocument, { tmdbId }).toPromise();
  // @ts-expect-error tmdbId is an Int: the generated variables type refuses a string.
  void urql.query(MovieDetailDocument, { tmdbId: '603' });
  return result.data?.movie?.title ?? null;
}

/** urql with the token on HTTP requests and subscriptions over graphql-ws (as in the README). */
export function createUrql(url: string, wsUrl: string, tokens: TokenStore): Client {
  const ws = createWsClient({
    url: wsUrl,
    connectionParams: () => ({ Authorization: `Bearer ${tokens.accessToken}` }),
  });
  return new Client({
    url,
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
    fetchOptions: (): RequestInit => ({
      headers: tokens.accessToken ? { authorization: `Bearer ${tokens.accessToken}` } : {},
    }),
  });
}
