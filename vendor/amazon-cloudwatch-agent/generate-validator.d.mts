/** Types of generate-validator.mjs, for the test that regenerates the module. */
export declare const SCHEMA_FILE: string;
export declare const MODULE_FILE: string;
export declare function generateValidatorSource(schemaText?: string): string;
