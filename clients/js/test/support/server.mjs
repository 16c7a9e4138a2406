// Starts a real reelgraph server for one test file: a fresh SQLite database in a temporary
// folder, the in-process cache, no TMDb/OMDb/OpenAI keys (so the bundled offline catalog answers),
// on a free port of 127.0.0.1. `stop()` ends it and removes the folder.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { operationsDir, pendingDir, repoRoot } from '../../scripts/operations.mjs';

const STARTUP_TIMEOUT_MS = 60_000;

export const reelgraphBin = process.env.REELGRAPH_BIN ?? join(repoRoot, '.venv', 'bin', 'reelgraph');

export async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export async function startServer({ env = {} } = {}) {
  if (!existsSync(reelgraphBin)) {
    throw new Error(`${reelgraphBin} is missing: run \`make install\` in ${repoRoot} first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'reelgraph-clients-'));
  const port = await freePort();
  const serverEnv = { ...process.env };
  for (const key of ['TMDB_API_KEY', 'TMDB_READ_TOKEN', 'OMDB_API_KEY', 'OPENAI_API_KEY', 'OPENAI_BASE_URL']) {
    delete serverEnv[key];
  }
  Object.assign(serverEnv, {
    REELGRAPH_ENV: 'development',
    REELGRAPH_DATABASE_URL: `sqlite+aiosqlite:///${join(dir, 't.db')}`,
    REELGRAPH_JWT_SECRET: 'clients-test-secret-0123456789abcdefghij',
    REELGRAPH_CACHE_URL: 'memory://',
    REELGRAPH_GRAPHIQL: 'true',
    ...env,
  });
  const logPath = join(dir, 'server.log');
  const log = openSync(logPath, 'a');
  const child = spawn(reelgraphBin, ['serve', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning'], {
    cwd: repoRoot,
    env: serverEnv,
    stdio: ['ignore', log, log],
  });
  closeSync(log); // the child has its own copy
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      const output = readFileSync(logPath, 'utf8');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`reelgraph serve exited (${JSON.stringify(exited)}) before /health answered:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`reelgraph serve did not answer /health within ${STARTUP_TIMEOUT_MS} ms:\n${readFileSync(logPath, 'utf8')}`);
    }
    await sleep(100);
  }

  return {
    url,
    graphqlUrl: `${url}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    dir,
    log: () => readFileSync(logPath, 'utf8'),
    async stop() {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The text of a documented operation, from examples/operations or its pending/ folder. */
export function operation(name) {
  for (const dir of [operationsDir, pendingDir]) {
    const path = join(dir, `${name}.graphql`);
    if (existsSync(path)) return readFileSync(path, 'utf8');
  }
  throw new Error(`no documented operation ${name}`);
}

/** The documented example variables of an operation, with `overrides` merged in. */
export function exampleVariables(name, overrides = {}) {
  for (const dir of [operationsDir, pendingDir]) {
    const path = join(dir, `${name}.variables.json`);
    if (existsSync(path)) return { ...JSON.parse(readFileSync(path, 'utf8')), ...overrides };
  }
  return { ...overrides };
}

/** A plain POST, for what no client library should hide (status codes, raw error shapes). */
export async function post(graphqlUrl, body, headers = {}) {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

let counter = 0;
export function uniqueEmail(prefix = 'client') {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${counter}@example.com`;
}

export const PASSWORD = 'correct horse battery';

/** Registers a fresh user through the documented Register operation; returns its tokens and user. */
export async function registerUser(graphqlUrl, name = 'Ann') {
  const email = uniqueEmail(name.toLowerCase());
  const { body } = await post(graphqlUrl, {
    query: operation('Register'),
    variables: { input: { email, password: PASSWORD, name } },
  });
  const payload = body.data?.register;
  if (!payload || payload.errors.length) throw new Error(`register failed: ${JSON.stringify(body)}`);
  return { email, ...payload };
}

/** True when the server's schema has `typeName.fieldName` (by introspection). */
export async function serverHasField(graphqlUrl, typeName, fieldName) {
  const { body } = await post(graphqlUrl, {
    query: 'query HasField($name: String!) { __type(name: $name) { fields { name } } }',
    variables: { name: typeName },
  });
  return Boolean(body.data?.__type?.fields?.some((field) => field.name === fieldName));
}
