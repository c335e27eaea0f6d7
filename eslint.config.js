// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "dist-typecheck/", "node_modules/", ".gitlab-ci-local/", "coverage/", "ansible/", "**/*.py"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", Buffer: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Style rule 5: nothing but the CLI entry ends the process.
      "no-restricted-properties": ["error", { object: "process", property: "exit", message: "Throw a typed error; only src/cli/main.ts exits." }],
    },
  },
  {
    // ZooKeeper code sits below the CLI and the commands: it may not import them back.
    files: ["src/zk/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/cli/*", "**/commands/*", "**/cli", "**/commands"], message: "src/zk is below the CLI and the commands; define the port here and let them depend on it." }] },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "ImportExpression[source.value=/(^|\\/)(cli|commands)(\\/|$)/]", message: "src/zk is below the CLI and the commands; no dynamic import of them either." },
      ],
    },
  },
  {
    files: ["src/cli/main.ts", "scripts/**", "bench/**", "test/**"],
    rules: { "no-restricted-properties": "off" },
  },
);
