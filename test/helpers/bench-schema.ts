/** The published JSON Schema of results.json, compiled with ajv (strict). */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

const schemaPath = new URL('../../schema/bench-results.schema.json', import.meta.url);

/** A validator of bench results against schema/bench-results.schema.json. */
export function benchResultsValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
  // formats (date-time) are checked by the tests themselves (ajv-formats is not a dependency);
  // strictRequired is off for the if/then/else of workload rows, whose properties are declared once
  const ajv = new Ajv({
    strict: true,
    strictRequired: false,
    allErrors: true,
    validateFormats: false,
  });
  return ajv.compile(schema);
}
