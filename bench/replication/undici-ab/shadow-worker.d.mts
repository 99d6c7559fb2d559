// Types of the plain-JS module for the TypeScript bench.
export declare function writeShadowWorker(path: string): Promise<string>;
