// Types of table-owners.mjs (plain JavaScript so eslint.config.js loads it without a TypeScript loader).
export declare const TABLE_OWNERS: Record<string, string>;
export declare const DATABASE_SERVICES: string[];
export declare const TEST_FILES: string[];
export declare function tableOwnershipConfigs(): object[];
