// Lint config: typescript-eslint's recommended rules on our own sources; generated code is skipped
// because it is rewritten by `buf generate` and never edited by hand.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { tableOwnershipConfigs } from "./scripts/lint/table-owners.mjs";

export default tseslint.config(
  { ignores: ["node_modules/**", "gen/**", "**/dist/**", "data/**", "**/drizzle/**", "bench/results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        setImmediate: "readonly",
        AbortController: "readonly",
        AbortSignal: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
        fetch: "readonly",
        structuredClone: "readonly",
        performance: "readonly",
        queueMicrotask: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  // The satellite's layers point one way: cli → commands → everything else. Below the commands, no
  // module reaches up into them (flag parsing lives in flags/, below both); tests may.
  {
    files: ["services/satellite/src/**/*.{ts,mts}"],
    ignores: [
      "services/satellite/src/{cli,commands}/**",
      "services/satellite/src/{index,testing}.ts",
      "**/*.test.ts",
      "**/*.it.ts",
      "**/testing/**",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/commands/*", "**/cli/*"],
              message: "Upward import: modules below the satellite's commands must not import commands/ or cli/.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["services/satellite/src/commands/**/*.{ts,mts}"],
    ignores: ["**/*.test.ts", "**/*.it.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/cli/*"], message: "Upward import: commands must not import cli/." }] },
      ],
    },
  },
  // Each table has one owning service; the others read it through the owner's query module.
  ...tableOwnershipConfigs(),
);
