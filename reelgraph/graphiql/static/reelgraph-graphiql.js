// Starts GraphiQL on reelgraph's own page (reelgraph/graphiql/index.html), with the vendored
// React 18 and GraphiQL 3 bundles as globals. Queries and mutations go over HTTP, subscriptions
// over graphql-ws on the same path. Sign in by adding {"Authorization": "Bearer <accessToken>"}
// in the Headers tab.
(function () {
  'use strict';

  var DEFAULT_QUERY = [
    '# Welcome to reelgraph. Run with Ctrl-Enter (or the play button).',
    '#',
    '# Signed in? Put {"Authorization": "Bearer <accessToken>"} in the Headers tab',
    '# (get a token from the register or login mutation).',
    '',
    'query Trending($first: Int = 10, $after: String) {',
    '  trending(window: WEEK, first: $first, after: $after) {',
    '    edges {',
    '      node {',
    '        id',
    '        title',
    '        year',
    '        genres { name }',
    '        imdbRating',
    '      }',
    '    }',
    '    pageInfo { hasNextPage endCursor }',
    '  }',
    '}',
    '',
  ].join('\n');

  var container = document.getElementById('graphiql');
  var url = new URL(container.getAttribute('data-endpoint') || '/graphql', window.location.href);
  var subscriptionUrl = new URL(url.href);
  subscriptionUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';

  var fetcher = GraphiQL.createFetcher({ url: url.href, subscriptionUrl: subscriptionUrl.href });
  var params = new URLSearchParams(window.location.search);

  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      query: params.get('query') || undefined,
      variables: params.get('variables') || undefined,
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: false,
    }),
  );
})();
