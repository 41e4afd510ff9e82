// ESLint (flat config) for the project's JavaScript: the map and drawing-canvas components
// (browser ES modules) and their unit tests (node --test). The tools are installed in .ci/
// (npm ci --prefix .ci), so they are loaded from there. Run from the repository root:
//   npx --prefix .ci eslint .
import { createRequire } from "node:module";

const require = createRequire(new URL("./.ci/package.json", import.meta.url));
const js = require("@eslint/js");
const globals = require("globals");

export default [
  { ignores: ["**/node_modules/", ".venv*/", "venv/"] },
  js.configs.recommended,
  {
    files: ["cvae/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.browser },
    rules: { "max-lines-per-function": ["error", { max: 80 }] },
  },
  {
    files: ["tests/js/**/*.mjs", "eslint.config.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.node },
  },
];
