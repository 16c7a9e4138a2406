// graphql-codegen: typed document nodes and result/variable types for every live documented
// operation (examples/operations, plus pending ones once the server has them; see
// scripts/operations.mjs). `npm run codegen` writes src/generated/ (gitignored; CI regenerates).
import { operationFiles, schemaPath } from './scripts/operations.mjs';

export default {
  overwrite: true,
  schema: schemaPath,
  documents: operationFiles().live,
  // A document that does not validate against schema.graphql fails the run.
  ignoreNoDocuments: false,
  generates: {
    'src/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        // Upload: what the multipart request carries (a browser File or Blob; Node has both).
        scalars: { Date: 'string', DateTime: 'string', Upload: 'File | Blob' },
      },
    },
  },
};
