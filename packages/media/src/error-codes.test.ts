import { fileURLToPath } from "node:url";
import { describeErrorCodes } from "@framewire/package-test";

// README.md's Errors section is the package's error contract (see describeErrorCodes).
describeErrorCodes(fileURLToPath(new URL("..", import.meta.url)));
