// Which documented operations are live.
//
// Every `*.graphql` in examples/operations is live. A file in examples/operations/pending is live
// as soon as every root field it selects exists in schema.graphql; until then it is left out of
// codegen and of the tests, so pending work on the server never breaks the build, and its
// arrival switches the operation on without anyone moving a file.
//
//   node scripts/operations.mjs             live operation files, one absolute path a line
//   node scripts/operations.mjs --pending   operation files still waiting for the server
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, Kind, parse } from 'graphql';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const operationsDir = join(repoRoot, 'examples', 'operations');
export const pendingDir = join(operationsDir, 'pending');
export const schemaPath = join(repoRoot, 'schema.graphql');

const graphqlFiles = (dir) =>
  (existsSync(dir) ? readdirSync(dir) : [])
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => join(dir, name));

/** The root fields an operation document selects, as [rootTypeName, fieldName] pairs. */
function rootFields(schema, document) {
  const pairs = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const root = schema.getRootType(definition.operation);
    const typeName = root?.name ?? `<no ${definition.operation} type>`;
    for (const selection of definition.selectionSet.selections) {
      if (selection.kind === Kind.FIELD && !selection.name.value.startsWith('__')) {
        pairs.push([typeName, selection.name.value, root]);
      }
    }
  }
  return pairs;
}

/** True when every root field the operation file selects exists in the schema. */
export function isServed(schema, file) {
  const document = parse(readFileSync(file, 'utf8'));
  return rootFields(schema, document).every(([, field, root]) => root?.getFields()[field] !== undefined);
}

export function loadSchema(path = schemaPath) {
  return buildSchema(readFileSync(path, 'utf8'));
}

/** { live: [...absolute paths], pending: [...absolute paths] } */
export function operationFiles(schema = loadSchema()) {
  const pendingFiles = graphqlFiles(pendingDir);
  const arrived = pendingFiles.filter((file) => isServed(schema, file));
  return {
    live: [...graphqlFiles(operationsDir), ...arrived],
    pending: pendingFiles.filter((file) => !arrived.includes(file)),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { live, pending } = operationFiles();
  const wanted = process.argv.includes('--pending') ? pending : live;
  if (wanted.length) process.stdout.write(`${wanted.join('\n')}\n`);
}
