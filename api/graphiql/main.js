// The GraphiQL page at `/`: current GraphiQL with its docs explorer and
// history (both built in), queries over POST /graphql and subscriptions over
// graphql-transport-ws at /graphql/ws, all on the origin that served the page.
// Monaco's editor, JSON and GraphQL workers are bundled beside it by Vite.
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';

const wsProtocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
const fetcher = createGraphiQLFetcher({
  url: new URL('/graphql', location.href).toString(),
  subscriptionUrl: `${wsProtocol}//${location.host}/graphql/ws`,
});

createRoot(document.getElementById('graphiql')).render(
  createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }),
);
