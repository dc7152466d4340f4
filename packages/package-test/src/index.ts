// @framewire/package-test: the helpers of the package test, also used by each public package's
// `src/error-codes.test.ts`.
export { describeErrorCodes } from "./error-code-tests.js";
export {
  type ErrorCodeMismatch,
  type ErrorCodeReport,
  errorCodeMismatch,
  errorCodeReport,
  sourceFiles,
} from "./error-codes.js";
export { type ExportNames, entryExportNames, exportNames } from "./exports.js";
export {
  documentedErrorCodes,
  type FencedBlock,
  fencedBlocks,
  type MainExample,
  type MarkdownLink,
  mainExample,
  markdownLinks,
  section,
} from "./readme.js";
export {
  type EntryPoint,
  entryPoints,
  type PublicPackage,
  publicPackages,
  WORKSPACE_ROOT,
} from "./workspace.js";
