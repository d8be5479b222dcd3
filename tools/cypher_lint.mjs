// Lints Cypher statements with Neo4j's own parser and semantic analysis (CYPHER 5).
// Input on stdin: a JSON array of {"id": string, "query": string}.
// Output on stdout: a JSON array of {"id", "errors": [{"message", "line", "column"}]}.
// Only errors count; warnings about labels or properties unknown to the mock
// schema, and "parameter not defined" (parameters are bound at run time), do not.
import { lintCypherQuery, testData } from '@neo4j-cypher/language-support';

const DIALECT = 'CYPHER 5';
const EXCLUDED_NAMESPACES = ['apoc.', 'gds.', 'genai.'];
const ERROR = 1;

function withoutPlugins(registry) {
  return Object.fromEntries(
    Object.entries(registry).filter(([name]) => !EXCLUDED_NAMESPACES.some((ns) => name.startsWith(ns))),
  );
}

const mock = testData.mockSchema;
const schema = {
  ...mock,
  defaultLanguage: DIALECT,
  functions: { [DIALECT]: withoutPlugins(mock.functions[DIALECT]) },
  procedures: { [DIALECT]: withoutPlugins(mock.procedures[DIALECT]) },
};

let input = '';
for await (const chunk of process.stdin) input += chunk;
const statements = JSON.parse(input);

const report = statements.map(({ id, query }) => {
  const { diagnostics } = lintCypherQuery(query, schema);
  const errors = diagnostics
    .filter((d) => d.severity === ERROR && !/^Parameter \$\S+ is not defined\.$/.test(d.message))
    .map((d) => ({ message: d.message, line: d.range.start.line + 1, column: d.range.start.character + 1 }));
  return { id, errors };
});
process.stdout.write(JSON.stringify(report));
