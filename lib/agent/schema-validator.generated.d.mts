/** Types of schema-validator.generated.mjs, ajv's standalone validator of the agent's schema (compiled on its first call). */
interface SchemaError {
  /** JSON pointer to the value at fault, e.g. "/logs/logs_collected/files/collect_list/0". */
  instancePath: string;
  /** Where in the schema (relative to the compiled function of the referenced definition). */
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
}
declare const validate: {
  (document: unknown): boolean;
  errors?: SchemaError[] | null;
};
export default validate;
